// @module bench/startup
// What the zero-code launcher adds to an app's start: hyperfine runs bench/servers/startup.mjs (start,
// listen, exit) bare and under `--import sightline/register` with tracing set to export OTLP.
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDebianTool } from './lib.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')

/** Mean and standard deviation (ms) of both starts, and the difference. */
export function startupScenario(node = process.execPath, runs = Number(process.env.BENCH_STARTUP_RUNS ?? 30)) {
  ensureDebianTool('hyperfine')
  const app = join(here, 'servers', 'startup.mjs')
  const out = join(tmpdir(), `sightline-startup-${process.pid}.json`)
  const env = {
    ...process.env,
    SIGHTLINE_OPS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  }
  execFileSync(
    'hyperfine',
    [
      '--warmup',
      '3',
      '--runs',
      String(runs),
      '--export-json',
      out,
      '-N',
      `${node} ${app}`,
      `${node} --import sightline/register ${app}`,
    ],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const { results } = JSON.parse(readFileSync(out, 'utf8'))
  rmSync(out)
  const [bare, zeroCode] = results.map((r) => ({ mean: r.mean * 1000, stddev: r.stddev * 1000 }))
  return {
    node: execFileSync(node, ['--version']).toString().trim(),
    runs,
    bare,
    zeroCode,
    added: zeroCode.mean - bare.mean,
  }
}

export function startupMarkdown(result) {
  const row = (name, r) => `| ${name} | ${r.mean.toFixed(1)} ± ${r.stddev.toFixed(1)} |`
  return [
    `## Zero-code start-up (${result.node}, hyperfine, ${result.runs} runs)`,
    '',
    'An unmodified Fastify app that starts, listens and exits; the zero-code run loads the launcher with',
    'tracing exporting OTLP (10%) and the ops port on.',
    '',
    '| start | ms (mean ± σ) |',
    '|---|---|',
    row('bare `node app.mjs`', result.bare),
    row('`node --import sightline/register app.mjs`', result.zeroCode),
    '',
    `Added by the launcher: **${result.added.toFixed(1)} ms** (target ≤ 150 ms).`,
    '',
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(startupMarkdown(startupScenario()).join('\n'))
}
