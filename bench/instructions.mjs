#!/usr/bin/env node
// @module bench/instructions
// Instructions per request, counted by valgrind's callgrind: a count, not a time, so neighbours on a
// shared VM cannot move it (wall-clock slices here vary by 20–30%, whole runs by 2×). Each server
// runs under callgrind and is sent one request at a time (wrk -c1, so every request takes the same
// path and no batching depends on timing); the counters are zeroed before and dumped after each
// slice. Under callgrind a server is ~50× slower, so work done per second rather than per request
// (timers, runtime metrics, the log writer's flush timer) would be overweighted: an idle slice of the
// same length is measured and subtracted. Kernel work (the socket's syscalls) is not counted.
//
// Run alone: node bench/instructions.mjs [config name prefixes, comma-separated]
// Env: BENCH_INSTR_SLICE (s, 6), BENCH_INSTR_MAX_SLICES (40), BENCH_INSTR_PARALLEL (servers measured at once, 2),
//      BENCH_NODES (the last one is used).
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIGS } from './configs.mjs'
import { benchEnv, nodeBinary, waitForPort } from './lib.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const SLICE_SECONDS = Number(process.env.BENCH_INSTR_SLICE ?? 6)
const PARALLEL = Number(process.env.BENCH_INSTR_PARALLEL ?? 2)
/** Slices that must agree before a figure is taken: JIT tiering settles over the first thousands of requests. */
const STEADY_SLICES = 3
const STEADY_SPREAD = 0.02
const MAX_SLICES = Number(process.env.BENCH_INSTR_MAX_SLICES ?? 40)
/** A server under callgrind starts 20–60× slower than natively. */
const START_TIMEOUT_MS = 240_000
/** The main thread is thread 1 in callgrind's per-thread dumps. */
const MAIN_THREAD = '01'

/** The configurations measured by default: one per question the targets ask. */
export const INSTRUCTION_CONFIGS = [
  'fastify bare',
  'fastify + sightline ids+logs+metrics',
  'fastify + sightline all pillars, tracing 0%',
  'fastify + sightline all pillars, tracing 10%',
  'fastify + sightline all pillars, tracing 100%',
  'fastify zero-code (--import sightline/register), tracing 10%',
  'fastify peer: logger + fastify-metrics + OTel auto 10%',
  'doctor-api GET /api/patients/:id without Sightline',
  'doctor-api GET /api/patients/:id, all of Sightline, tracing 10%',
  'http bare',
  'http + sightline ids+logs+metrics',
]

export function ensureValgrind() {
  try {
    execFileSync('sh', ['-c', 'command -v valgrind && command -v callgrind_control'], { stdio: 'ignore' })
    return
  } catch {}
  if (process.getuid?.() !== 0) throw new Error('valgrind is missing: apt-get install valgrind')
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind'], {
    stdio: 'inherit',
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs a command to completion without blocking the event loop (servers are measured in parallel). */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output.slice(-500)}`)),
    )
  })
}

/** A server under callgrind, with its dump counter. */
async function startCounted(config, node, receiverPort, port, dir) {
  const env = benchEnv(config, port, receiverPort)
  const args = [
    '--tool=callgrind',
    // V8 writes machine code into its heap: without this valgrind would run stale translations.
    '--smc-check=all-non-file',
    '--separate-threads=yes',
    '--dump-instr=no',
    `--callgrind-out-file=${join(dir, 'cg.%p')}`,
    node,
    ...(config.nodeArgs ?? []),
    join(here, 'servers', `${config.server}.mjs`),
  ]
  const devNull = openSync('/dev/null', 'w')
  const child = spawn('valgrind', args, { env, stdio: ['ignore', devNull, devNull], cwd: root })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const server = { config, port, child, exited, dir, dumps: 0 }
  try {
    await waitForPort(port, config.path, Date.now() + START_TIMEOUT_MS)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
  return server
}

/** Instructions per thread since the last zeroing: dumps the counters and reads the files written. */
async function dump(server) {
  const pid = server.child.pid
  server.dumps++
  await run('callgrind_control', ['--dump', String(pid)])
  const prefix = `cg.${pid}.${server.dumps}-`
  const byThread = {}
  for (let attempt = 0; attempt < 100; attempt++) {
    const files = readdirSync(server.dir).filter((f) => f.startsWith(prefix))
    if (files.some((f) => f.endsWith(`-${MAIN_THREAD}`))) {
      await sleep(200) // the other threads' files are written right after
      for (const file of readdirSync(server.dir).filter((f) => f.startsWith(prefix))) {
        const text = readFileSync(join(server.dir, file), 'utf8')
        byThread[file.slice(prefix.length)] = Number(/^summary: (\d+)/m.exec(text)?.[1] ?? 0)
        rmSync(join(server.dir, file))
      }
      return byThread
    }
    await sleep(100)
  }
  throw new Error(`callgrind wrote no dump for ${server.config.name}`)
}

const zero = (server) => run('callgrind_control', ['--zero', String(server.child.pid)])

/** One slice: instructions of the main thread and of all threads, and the requests served. */
async function slice(server, load) {
  await zero(server)
  let requests = 0
  if (load) {
    const output = await run('wrk', [
      '-t1',
      '-c1',
      `-d${SLICE_SECONDS}s`,
      `http://127.0.0.1:${server.port}${server.config.path ?? '/users/42'}`,
    ])
    if (/Non-2xx or 3xx responses/.test(output)) throw new Error(`${server.config.name} answered errors`)
    requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0)
  } else {
    await sleep(SLICE_SECONDS * 1000)
  }
  const byThread = await dump(server)
  const all = Object.values(byThread).reduce((a, b) => a + b, 0)
  return { main: byThread[MAIN_THREAD] ?? 0, all, requests }
}

const spreadOf = (values) => (Math.max(...values) - Math.min(...values)) / Math.min(...values)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Measures one configuration until STEADY_SLICES slices agree; instructions per request. */
async function measureConfig(config, node, receiverPort, port) {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-cg-'))
  let server
  try {
    server = await startCounted(config, node, receiverPort, port, dir)
    const slices = []
    const perRequest = (s) => s.main / s.requests
    while (slices.length < MAX_SLICES) {
      const s = await slice(server, true)
      if (s.requests === 0) throw new Error(`${config.name} served no requests`)
      slices.push(s)
      if (process.env.BENCH_INSTR_DEBUG) console.log(config.name, JSON.stringify(s), Math.round(perRequest(s)))
      const last = slices.slice(-STEADY_SLICES)
      if (last.length === STEADY_SLICES && spreadOf(last.map(perRequest)) <= STEADY_SPREAD) break
    }
    // Idle, once warm: what the process does per second without traffic, subtracted per second of load.
    const idle = await slice(server, false)
    const last = slices.slice(-STEADY_SLICES)
    const net = (s, key) => Math.max(0, s[key] - idle[key]) / s.requests
    return {
      name: config.name,
      main: median(last.map((s) => net(s, 'main'))),
      all: median(last.map((s) => net(s, 'all'))),
      spread: spreadOf(last.map(perRequest)),
      slices: slices.length,
      idleMainPerSecond: idle.main / SLICE_SECONDS,
      requestsPerSecond: median(last.map((s) => s.requests)) / SLICE_SECONDS,
    }
  } finally {
    if (server !== undefined) {
      server.child.kill('SIGKILL')
      await server.exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Every chosen configuration, PARALLEL at a time (counts do not depend on what else runs). */
export async function instructionScenario(names = INSTRUCTION_CONFIGS, version = '24') {
  ensureValgrind()
  const node = nodeBinary(version)
  const nodeVersion = execFileSync(node, ['--version']).toString().trim()
  const receiver = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end())
  })
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const receiverPort = receiver.address().port
  const configs = names.map((name) => {
    const config = CONFIGS.find((c) => c.name === name)
    if (config === undefined) throw new Error(`no configuration named ${JSON.stringify(name)}`)
    return config
  })
  const results = new Map()
  let next = 0
  let port = 33000 + Math.floor(Math.random() * 2000)
  const worker = async () => {
    while (next < configs.length) {
      const config = configs[next++]
      try {
        const result = await measureConfig(config, node, receiverPort, port++)
        results.set(config.name, result)
        console.log(
          `instructions ${config.name}: ${Math.round(result.main)} main-thread Ir/req (spread ${(result.spread * 100).toFixed(1)}%, ${result.slices} slices)`,
        )
      } catch (error) {
        results.set(config.name, { name: config.name, error: error.message })
        console.log(`instructions ${config.name}: failed, ${error.message}`)
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: PARALLEL }, worker))
  } finally {
    receiver.close()
  }
  return { nodeVersion, configs, results }
}

export function instructionMarkdown({ nodeVersion, configs, results }) {
  const lines = [
    `## Instructions per request (Node ${nodeVersion}, callgrind)`,
    '',
    'A count, not a time: the same on a quiet machine and a busy one. Each server runs under valgrind',
    '`--tool=callgrind` and gets one request at a time (wrk `-c1`) in slices of ' +
      `${SLICE_SECONDS} s; a figure is the median of the`,
    `last ${STEADY_SLICES} slices once they agree within ${STEADY_SPREAD * 100}% (JIT tiering settles first), after`,
    'subtracting an idle slice of the same length (per-second work is ~50× overweighted at callgrind speed).',
    "Main thread: JavaScript, libuv and the user-space side of syscalls; all threads adds V8's garbage",
    'collection and compiler threads. Kernel work is not counted, and an instruction is not a fixed time (cache',
    'misses are not counted either): `÷ bare` here is what throughput would be if time followed instructions.',
    '',
    '| configuration | main thread Ir/req (spread) | all threads Ir/req | added (main) | ÷ bare (main) | ÷ bare (all) |',
    '|---|---|---|---|---|---|',
  ]
  for (const config of configs) {
    const result = results.get(config.name)
    if (result === undefined || result.error !== undefined) {
      lines.push(`| ${config.name} | failed: ${result?.error ?? 'not run'} | | | | |`)
      continue
    }
    const baseline = configs.find((c) => c.baseline && c.server === config.server)
    const base = baseline === undefined ? undefined : results.get(baseline.name)
    const haveBase = base !== undefined && base.error === undefined
    const cells = [
      config.name,
      `${Math.round(result.main).toLocaleString('en')} (${(result.spread * 100).toFixed(1)}%)`,
      Math.round(result.all).toLocaleString('en'),
      config.baseline || !haveBase ? '—' : `+${Math.round(result.main - base.main).toLocaleString('en')}`,
      haveBase ? (base.main / result.main).toFixed(2) : '—',
      haveBase ? (base.all / result.all).toFixed(2) : '—',
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  lines.push('')
  return lines
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const prefixes = process.argv[2]?.split(',')
  const chosen = CONFIGS.filter((c) => prefixes?.some((p) => c.name.startsWith(p)))
  // A chosen configuration is always measured beside the bare server of its framework.
  const names =
    prefixes === undefined
      ? INSTRUCTION_CONFIGS
      : CONFIGS.filter((c) => chosen.includes(c) || (c.baseline && chosen.some((o) => o.server === c.server))).map(
          (c) => c.name,
        )
  const version = (process.env.BENCH_NODES ?? '24').split(',').at(-1).trim()
  console.log(instructionMarkdown(await instructionScenario(names, version)).join('\n'))
}
