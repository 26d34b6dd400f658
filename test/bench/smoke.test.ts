/**
 * A smoke run of the benchmark harness with tiny durations: it starts real servers, drives them
 * with wrk, reads CPU from /proc and writes a report. The figures are not checked (CI is too noisy);
 * that the harness runs end to end and reports numbers is.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MAJOR = process.versions.node.split('.')[0] as string

/** Runs `bench/<script>` from the project root with `env` added to this process's environment. */
function benchScript(script: string, args: string[], env: Record<string, string>, timeout: number) {
  return run(process.execPath, [join(ROOT, 'bench', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout,
  })
}

test('npm run bench runs end to end with tiny durations and writes its table', async () => {
  const out = join(tmpdir(), `sightline-bench-${process.pid}.md`)
  await benchScript(
    'run.mjs',
    [],
    {
      BENCH_DURATION: '1',
      BENCH_WARMUP: '1',
      BENCH_ROUNDS: '1',
      BENCH_NODES: MAJOR,
      // The bare and instrumented http servers, and doctor-api's route on the real Postgres and Redis.
      BENCH_FILTER: 'http ,doctor-api',
      BENCH_STARTUP_RUNS: '3',
      BENCH_OUT: out,
      BENCH_UNMATCHED: '0',
    },
    120000,
  )
  const report = readFileSync(out, 'utf8')
  const lines = report.split('\n')
  const rows = lines.filter((line) => line.startsWith('| http') || line.startsWith('| doctor-api'))
  // Per Node version: http bare and http + sightline; doctor-api without, without tracing, with tracing.
  assert.equal(rows.length, 5, report)
  assert.equal(lines.filter((line) => line.startsWith('| express')).length, 0, 'the filter matches name prefixes')
  assert.match(report, /\| access log: build one line \| \d+ \|/)
  assert.match(report, /Added by the launcher: \*\*-?\d+\.\d ms\*\*/)
  if (cpus().length > 1) assert.match(report, /Added by the launcher on one core: \*\*-?\d+\.\d ms\*\*/)
  for (const row of rows) {
    const cells = row.split('|').map((cell) => cell.trim())
    assert.ok(Number.parseFloat(cells[2] ?? '') > 0, `throughput in ${row}`)
    assert.ok(Number.parseFloat(cells[6] ?? '') > 0, `CPU per request in ${row}`)
  }
  // The report ends with the budget's targets, checked against its own tables: doctor-api's ratio
  // (measured here) and the start-up figure are read back; the Fastify rows were not measured.
  const targets = report.slice(report.indexOf('## Targets'))
  assert.ok(report.indexOf('## Targets') > report.indexOf('## Zero-code start-up'), report)
  assert.match(
    targets,
    /^\| all of Sightline \(10%\) on doctor-api's route[^|]+\|[^\n]*\d\.\d\d \(by CPU \d\.\d\d; [+-][\d.]+ µs a request\)/m,
  )
  assert.match(targets, /^\| all pillars on the Fastify route[^|]+\| [^|]+ \| — \|/m)
  const startupRow = (text: string) => text.match(/^\| zero-code start-up adds ≤ 150 ms \| (\+?-?[\d.]+) ms/m)?.[1]
  const addedOf = (text: string) => text.match(/Added by the launcher: \*\*(-?[\d.]+) ms/)?.[1]
  assert.equal(Number(startupRow(targets)), Number(addedOf(report)))

  // The start-up section measured again on its own replaces the report's, and nothing else.
  const marked = report.replace(/Added by the launcher: \*\*/, 'Added by the launcher: **-9999.9 ms** was **')
  writeFileSync(out, marked)
  await benchScript('startup.mjs', ['--update', out], { BENCH_STARTUP_RUNS: '2' }, 60000)
  const updated = readFileSync(out, 'utf8')
  assert.equal(updated.match(/^## Zero-code start-up/gm)?.length, 1, updated)
  assert.doesNotMatch(updated, /-9999\.9/)
  assert.match(updated, /Added by the launcher: \*\*-?\d+\.\d ms\*\*/)
  assert.equal(updated.slice(0, updated.indexOf('## Zero-code')), report.slice(0, report.indexOf('## Zero-code')))
  // …and the targets are checked again with the new figure.
  assert.equal(updated.match(/^## Targets/gm)?.length, 1, updated)
  assert.equal(Number(startupRow(updated.slice(updated.indexOf('## Targets')))), Number(addedOf(updated)))
})

test('bench/profile.mjs --vs profiles two configurations and prints what the first adds', async () => {
  const { stdout } = await benchScript(
    'profile.mjs',
    ['http + sightline ids+logs+metrics', '1', '--vs', 'http bare'],
    // Every row: a one-second sampled profile on a loaded machine orders small additions by chance.
    { PROFILE_TOP: '1000' },
    60000,
  )
  assert.match(stdout, /^http bare: \d+ req\/s/m)
  assert.match(stdout, /http \+ sightline ids\+logs\+metrics minus http bare: -?\d+\.\d+ µs\/req/)
  // Sightline's own hot path shows up among the additions, under its own file names.
  const difference = stdout.slice(stdout.indexOf(' minus '))
  assert.match(difference, /(pipeline|logging|metrics)\/[\w-]+\.js:\d+/)
})

test('bench/instructions.mjs counts instructions per request under callgrind and writes its table', async () => {
  const out = join(tmpdir(), `sightline-instructions-${process.pid}.md`)
  await benchScript(
    'instructions.mjs',
    [],
    {
      BENCH_FILTER: 'http ',
      BENCH_NODE: MAJOR,
      INSTR_WARMUP: '300',
      INSTR_REQUESTS: '200',
      INSTR_PROCESSES: '1',
      INSTR_OUT: out,
    },
    180000,
  )
  const rows = readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| http'))
  assert.equal(rows.length, 2, rows.join('\n'))
  for (const row of rows) {
    const cells = row.split('|').map((cell) => cell.trim())
    // A node:http request is tens of thousands of instructions; an empty count would be 0.
    assert.ok(Number((cells[2] ?? '').replaceAll(',', '')) > 5000, `instructions in ${row}`)
  }
  assert.match(rows[1] ?? '', /\| 0\.\d\d \| [\d,]+ \|$/, 'the instrumented server is compared with bare')
})

test('bench/instructions.mjs --diff names the functions a configuration adds', async () => {
  const { stdout } = await benchScript(
    'instructions.mjs',
    ['--diff', 'http + sightline ids+logs+metrics', 'http bare'],
    {
      BENCH_NODE: MAJOR,
      INSTR_WARMUP: '300',
      INSTR_REQUESTS: '200',
      // Every function: in a run this short a garbage collection can outweigh the rest.
      INSTR_TOP: '100000',
    },
    180000,
  )
  // Sightline's own JIT-compiled functions, named through the perf map. Which ones stand alone in
  // a run this short depends on what V8 inlined where (writeLine is sometimes inlined into end).
  assert.match(stdout, /^\+\s*[\d,]+ {2}JS:\S* ?file:\/\/\S+\/dist\/src\/(core|adapters)\//m)
})
