// @module bench/startup
// What the zero-code launcher adds to an app's start: hyperfine runs bench/servers/startup.mjs (start,
// listen, exit) bare and under `--import sightline/register` with tracing set to export OTLP.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDebianTool, replaceSection } from './lib.mjs'
import { TARGETS_HEADING, targetsSection } from './targets.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const HAS_TASKSET = existsSync('/usr/bin/taskset')

/**
 * hyperfine's median, mean and standard deviation (ms) of the bare and the launched start, on
 * `cores`. The difference of the medians is the figure: this VM has bursts of slowness that move
 * a mean by tens of milliseconds (a σ of 50-80 ms in runs whose median moves by a few).
 */
function timeStarts(node, runs, env, cores) {
  const app = join(here, 'servers', 'startup.mjs')
  const out = join(tmpdir(), `sightline-startup-${process.pid}.json`)
  const hyperfine = [
    '--warmup',
    '3',
    '--runs',
    String(runs),
    '--export-json',
    out,
    '-N',
    `${node} ${app}`,
    `${node} --import sightline/register ${app}`,
  ]
  // Explicit affinity: the harness runs pinned to one core (bench/run.mjs), and a child inherits
  // that. Timed on one core, the launcher's export worker starts on the core the app starts on.
  const [command, args] = HAS_TASKSET ? ['taskset', ['-c', cores, 'hyperfine', ...hyperfine]] : ['hyperfine', hyperfine]
  execFileSync(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] })
  const { results } = JSON.parse(readFileSync(out, 'utf8'))
  rmSync(out)
  const [bare, zeroCode] = results.map((r) => ({
    median: r.median * 1000,
    mean: r.mean * 1000,
    stddev: r.stddev * 1000,
  }))
  return { bare, zeroCode, added: zeroCode.median - bare.median }
}

/**
 * What the launcher adds to a start on all the machine's cores (the target), and on one core, as in
 * a container limited to one CPU.
 */
export function startupScenario(node = process.execPath, runs = Number(process.env.BENCH_STARTUP_RUNS ?? 30)) {
  ensureDebianTool('hyperfine')
  const env = {
    ...process.env,
    SIGHTLINE_OPS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  }
  const cores = cpus().length
  const all = timeStarts(node, runs, env, `0-${cores - 1}`)
  const one = HAS_TASKSET && cores > 1 ? timeStarts(node, runs, env, '0') : undefined
  return {
    node: execFileSync(node, ['--version']).toString().trim(),
    runs,
    cores,
    ...all,
    one,
  }
}

export const STARTUP_HEADING = '## Zero-code start-up'

export function startupMarkdown(result) {
  const row = (name, r) => `| ${name} | ${r.median.toFixed(1)} | ${r.mean.toFixed(1)} ± ${r.stddev.toFixed(1)} |`
  const lines = [
    `${STARTUP_HEADING} (${result.node}, hyperfine, ${result.runs} runs)`,
    '',
    'An unmodified Fastify app that starts, listens and exits; the zero-code run loads the launcher with',
    `tracing exporting OTLP (10%) and the ops port on. On all ${result.cores} cores:`,
    '',
    '| start | median ms | mean ± σ |',
    '|---|---|---|',
    row('bare `node app.mjs`', result.bare),
    row('`node --import sightline/register app.mjs`', result.zeroCode),
    '',
    `Added by the launcher: **${result.added.toFixed(1)} ms** (the medians' difference; target ≤ 150 ms).`,
    '',
  ]
  if (result.one !== undefined) {
    lines.push(
      "On one core (`taskset -c 0`, as in a container limited to one CPU), where the launcher's export",
      "worker and V8's background threads start on the app's core:",
      '',
      '| start | median ms | mean ± σ |',
      '|---|---|---|',
      row('bare `node app.mjs`', result.one.bare),
      row('`node --import sightline/register app.mjs`', result.one.zeroCode),
      '',
      `Added by the launcher on one core: **${result.one.added.toFixed(1)} ms**.`,
      '',
    )
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lines = startupMarkdown(startupScenario())
  // --update <file>: replaces that report's start-up section, so the section can be measured again
  // without the hour of the throughput table, and checks the report's targets again with it.
  const updateAt = process.argv.indexOf('--update')
  if (updateAt === -1) console.log(lines.join('\n'))
  else {
    const report = process.argv[updateAt + 1] ?? ''
    replaceSection(report, STARTUP_HEADING, lines)
    replaceSection(report, TARGETS_HEADING, targetsSection(readFileSync(report, 'utf8')))
  }
}
