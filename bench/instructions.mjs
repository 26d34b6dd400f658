#!/usr/bin/env node
// @module bench/instructions
// Instructions per request, counted by valgrind's callgrind: the figure this machine cannot blur.
// Wall-clock CPU per request moves by ±10% from run to run on this VM; an instruction count of the
// same build, requests and warm-up repeats to within about 1%, whatever else the machine is doing.
// Each configuration's server runs under callgrind with instrumentation off while it warms up
// (INSTR_WARMUP requests), then on for a settling batch, then the counters are zeroed and exactly
// INSTR_REQUESTS requests are sent; the main thread's count divided by the requests is the figure.
//
// It also tells a state of Node 24 apart that wall-clock runs cannot see: in some processes, bare
// ones included, V8's feedback for the object literal in Node's `process.nextTick` turns
// megamorphic during warm-up, and from then on every tick calls the runtime
// (Runtime_DefineKeyedOwnPropertyInLiteral, four times per tick): ~21,000 instructions per
// request more on a Fastify route, for the life of the process. Which processes land there is
// chance. The report gives each process's state and the count without that runtime path, so
// configurations are compared like with like.
//
// Usage: node bench/instructions.mjs        (writes docs/BENCHMARKS-INSTRUCTIONS.md)
//        node bench/instructions.mjs --diff "<config>" "<baseline config>"   (what the first adds, per function;
//          "<config>@<ratio>" runs a configuration at another sampling ratio)
// Env: BENCH_FILTER (config name prefixes, comma-separated, no space after the comma), BENCH_NODE (24), INSTR_WARMUP (30000),
//      INSTR_REQUESTS (3000), INSTR_PROCESSES (per configuration, 3), INSTR_JOBS (servers at once, 2),
//      INSTR_PIN (1: each server pinned to one core, as bench/run.mjs does), INSTR_OUT (report path),
//      INSTR_TOP (rows --diff prints, 40), INSTR_KEEP (a directory --diff leaves its two dumps in).
import { execFile as execFileCallback, execFileSync, spawn } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CONFIGS, selectConfigs } from './configs.mjs'
import {
  benchEnv,
  ensureDebianTool,
  median,
  nodeBinary,
  pinned,
  sendRequests,
  startDiscardingReceiver,
  takePort,
  waitForPort,
} from './lib.mjs'

const execFile = promisify(execFileCallback)
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const WARMUP = Number(process.env.INSTR_WARMUP ?? 30000)
const REQUESTS = Number(process.env.INSTR_REQUESTS ?? 3000)
/** Requests after instrumentation is switched on, before counting: callgrind re-translates the code. */
const SETTLE = Math.max(100, Math.round(REQUESTS / 6))
/**
 * The warm-up is sent on this many sets of connections, one after the other. The first time the
 * server sees its connections close, V8's maps for sockets and streams change (a field's type is
 * generalised) and about 40 optimised functions of Node's HTTP and stream internals deoptimise; with
 * one set, that happened just before counting and their re-optimisation landed in the counted window
 * at random, which made processes of one configuration differ by up to 15,000 instructions per request.
 */
const WARMUP_ROUNDS = 3
const PROCESSES = Number(process.env.INSTR_PROCESSES ?? 3)
const JOBS = Number(process.env.INSTR_JOBS ?? Math.min(2, cpus().length))
const NODE = process.env.BENCH_NODE ?? '24'
const OUT = process.env.INSTR_OUT ?? join(root, 'docs', 'BENCHMARKS-INSTRUCTIONS.md')
const FILTER = process.env.BENCH_FILTER
const PIN = process.env.INSTR_PIN === '1'
/** The V8 runtime function Node's `nextTick` calls per property once its literal's feedback is megamorphic. */
export const TICK_SLOW_PATH = 'v8::internal::Runtime_DefineKeyedOwnPropertyInLiteral'
/** A process whose runtime path costs more than this per request is in the slow state (it is 0 otherwise). */
const SLOW_STATE_THRESHOLD = 1000
const EXPORT_BY_SIZE = { OTEL_BSP_SCHEDULE_DELAY: '3600000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '128' }
/** Under callgrind a server starts 20-50 times slower. */
const START_DEADLINE_MS = 180_000

/** callgrind_control's per-thread totals (`Th 1  112,875,511`): the main thread and all threads. */
function parseThreadTotals(text) {
  let main = 0
  let all = 0
  for (const match of text.matchAll(/^\s*Th\s+(\d+)\s+([\d,]+)/gm)) {
    const count = Number((match[2] ?? '0').replaceAll(',', ''))
    all += count
    if (match[1] === '1') main = count
  }
  return { main, all }
}

/** Inclusive instructions of one function in a callgrind dump (0 when it never ran). */
function inclusiveCost(dumpFile, functionName) {
  const report = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', dumpFile], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  for (const line of report.split('\n')) {
    if (!line.includes(`:${functionName}(`)) continue
    return Number((/^\s*([\d,]+)/.exec(line)?.[1] ?? '0').replaceAll(',', ''))
  }
  return 0
}

/**
 * A perf map (`--perf-basic-prof`): the JIT's code ranges and their functions, in the order they
 * were written. Code space is reused, so an address can fall in several ranges: the latest wins.
 */
function readPerfMap(pid) {
  const file = `/tmp/perf-${pid}.map`
  if (!existsSync(file)) return []
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, size, ...name] = line.split(' ')
      const from = Number.parseInt(start ?? '', 16)
      // The tier marker (~ ^ + *) goes: a function is one row whichever tier ran it.
      return { from, to: from + Number.parseInt(size ?? '', 16), name: name.join(' ').replace(/^JS:[~^+*']+/, 'JS:') }
    })
  rmSync(file, { force: true })
  return entries
}

function nameAt(entries, address) {
  for (let index = entries.length - 1; index >= 0; index--) {
    const entry = entries[index]
    if (address >= entry.from && address < entry.to) return entry.name
  }
  return undefined
}

/** Self instructions per function in a callgrind dump, JIT code named from the perf map. */
function selfCosts(dumpFile, perfMap) {
  const report = execFileSync('callgrind_annotate', ['--threshold=100', dumpFile], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const costs = new Map()
  for (const line of report.split('\n')) {
    const match = /^\s*([\d,]+) \([^)]*\)\s+\?\?\?:(.+?)(?: \[[^\]]*\])?$/.exec(line)
    if (match === null) continue
    const symbol = match[2] ?? ''
    const address = /^0x([0-9a-f]+)$/.exec(symbol)
    const name =
      address === null ? symbol : (nameAt(perfMap, Number.parseInt(address[1] ?? '', 16)) ?? 'JIT code (unnamed)')
    costs.set(name, (costs.get(name) ?? 0) + Number((match[1] ?? '0').replaceAll(',', '')))
  }
  return costs
}

/** One server process under callgrind: instructions per request, main thread and all, and the tick slow path's share. */
export async function measureProcess(config, node, receiverPort, options = {}) {
  const warmup = (options.warmup ?? WARMUP) * (config.warmupFactor ?? 1)
  const requests = options.requests ?? REQUESTS
  const settle = options.settle ?? SETTLE
  const dir = mkdtempSync(join(tmpdir(), 'sightline-instr-'))
  const port = await takePort()
  const valgrind = [
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'cg.%p')}`,
      node,
      ...(options.profile ? ['--perf-basic-prof'] : []),
      ...(config.nodeArgs ?? []),
      join(here, 'servers', `${config.server}.mjs`),
    ],
  ]
  // INSTR_PIN: each server on one core, as the wall-clock harness runs them (V8's compiler threads then share it).
  const [command, args] = options.core === undefined ? valgrind : pinned(options.core, ...valgrind)
  const env = benchEnv(config, port, receiverPort)
  // Spans leave in batches when a batch is full, as at full speed, not on the 5 s timer: at
  // callgrind's pace the timer would fire every few hundred requests and charge each small
  // batch's HTTP request to them. 128 spans a batch keeps several exports in the counted window.
  if (config.otel !== undefined) Object.assign(env, EXPORT_BY_SIZE)
  const child = spawn(command, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: root,
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const pid = String(child.pid)
  const control = async (...args) => (await execFile('callgrind_control', [...args, pid])).stdout
  try {
    // A server that dies at start (a port taken, a crash) fails this process at once, not at the deadline.
    const exited = new Promise((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`the server exited (${signal ?? code})`)))
    })
    exited.catch(() => {})
    await Promise.race([waitForPort(port, config.path, Date.now() + START_DEADLINE_MS), exited])
    for (let round = 0; round < WARMUP_ROUNDS; round++) {
      await sendRequests(port, config.path ?? '/users/42', Math.ceil(warmup / WARMUP_ROUNDS))
    }
    await control('--instr=on')
    await sendRequests(port, config.path ?? '/users/42', settle)
    await control('--zero')
    await sendRequests(port, config.path ?? '/users/42', requests)
    const { main, all } = parseThreadTotals(await control('-e', 'Ir'))
    if (main === 0) throw new Error('callgrind_control reported no count for the main thread')
    await control('--dump')
    const dump = readdirSync(dir).find((name) => name.endsWith('.1'))
    if (dump === undefined) throw new Error(`callgrind wrote no dump for ${config.name}`)
    const slowPath = inclusiveCost(join(dir, dump), TICK_SLOW_PATH)
    // `keep`: the dump and the perf map are copied there, for callgrind_annotate --tree=caller.
    if (options.keep !== undefined) {
      copyFileSync(join(dir, dump), join(options.keep, 'callgrind.out'))
      if (existsSync(`/tmp/perf-${pid}.map`)) copyFileSync(`/tmp/perf-${pid}.map`, join(options.keep, 'perf.map'))
    }
    const functions = options.profile ? selfCosts(join(dir, dump), readPerfMap(pid)) : undefined
    return { main: main / requests, all: all / requests, slowPath: slowPath / requests, functions }
  } catch (error) {
    throw new Error(`${config.name}: ${error.message}\n${stderr}`)
  } finally {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `tasks` (async functions) `jobs` at a time, results in order. */
async function inParallel(tasks, jobs) {
  const results = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++
      results[index] = await tasks[index]()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker))
  return results
}

function summarise(config, processes) {
  const neutral = processes.map((p) => p.main - p.slowPath)
  return {
    config,
    processes,
    main: median(processes.map((p) => p.main)),
    all: median(processes.map((p) => p.all)),
    neutral: median(neutral),
    low: Math.min(...neutral),
    high: Math.max(...neutral),
    slow: processes.filter((p) => p.slowPath > SLOW_STATE_THRESHOLD).length,
  }
}

const thousands = (value) => Math.round(value).toLocaleString('en-US')

/** The configurations that warm up longer, as the report says it. */
function warmupNote() {
  const longer = CONFIGS.filter((config) => (config.warmupFactor ?? 1) !== 1)
  if (longer.length === 0) return ''
  const factors = [...new Set(longer.map((config) => config.warmupFactor))]
  const servers = [...new Set(longer.map((config) => config.server))]
  return ` (${servers.join(', ')}: ${factors.map((f) => `${f}×`).join(', ')}, see bench/configs.mjs)`
}

function markdown(results, nodeVersion) {
  const lines = [
    '# Benchmarks: instructions per request',
    '',
    '_Written by `node bench/instructions.mjs`; do not edit by hand._',
    '',
    `Node ${nodeVersion}, valgrind's callgrind. Each server warms up uninstrumented on ${thousands(WARMUP)} requests${warmupNote()}`,
    `(on ${WARMUP_ROUNDS} sets of connections in turn, so that the deoptimisations of the first connection close`,
    `are over), then ${thousands(SETTLE)} more with instrumentation on, then exactly ${thousands(REQUESTS)} requests are`,
    `counted (8 keep-alive connections). ${PROCESSES} process(es) per configuration; figures are medians. The count is`,
    "the main thread's, where requests are served; the other threads (GC helpers, the compiler) are",
    'shown beside it and vary with when a collection or compilation lands in the window.',
    '',
    '"Tick slow path" is what V8\'s runtime costs per request in processes where the feedback for the',
    "object literal in Node's `process.nextTick` turned megamorphic during warm-up (bare servers too,",
    'by chance): each tick then calls `Runtime_DefineKeyedOwnPropertyInLiteral` four times. "Without it"',
    'subtracts that cost, so that processes in either state compare like with like; the ratios and',
    'additions use it; "its range" is the lowest and highest process. Tracing configurations send',
    'their spans when a batch of 128 is full rather than on the 5 s timer, as at full speed (at',
    "callgrind's pace the timer would send a small batch every few hundred requests). See",
    'docs/performance.md.',
    '',
    '| configuration | instructions/req, main thread | all threads | tick slow path (processes in it) | without it | its range | ÷ bare | added |',
    '|---|---|---|---|---|---|---|---|',
  ]
  const baselines = new Map(results.filter((r) => r.config.baseline).map((r) => [r.config.server, r]))
  for (const result of results) {
    const base = baselines.get(result.config.server)
    const ratio = base === undefined ? '—' : (base.neutral / result.neutral).toFixed(2)
    const added = base === undefined || result === base ? '—' : thousands(result.neutral - base.neutral)
    const slowPath = median(result.processes.map((p) => p.slowPath))
    lines.push(
      `| ${result.config.name} | ${thousands(result.main)} | ${thousands(result.all)} | ${thousands(slowPath)} (${result.slow} of ${result.processes.length}) | ${thousands(result.neutral)} | ${thousands(result.low)}–${thousands(result.high)} | ${ratio} | ${added} |`,
    )
  }
  lines.push(
    '',
    'Rerun: `npm run build && node bench/instructions.mjs` (about a minute per process; `BENCH_FILTER=fastify`',
    'for one framework). Instruction counts are not time: a cache miss or a mispredicted branch costs',
    'more than an add. They measure the work a configuration does, which wall-clock runs on this VM',
    'cannot resolve below a few microseconds.',
    '',
  )
  return lines.join('\n')
}

/**
 * `--diff "<config>" "<baseline>"`: one process of each, profiled, and what the first adds per
 * function (instructions per request, all threads), largest first. Deterministic where --cpu-prof
 * is not: a difference of 200 instructions is real.
 */
async function diff(node, receiverPort, name, baselineName) {
  const find = (part) => {
    // `<name>@<ratio>`: the configuration with its sampling ratio replaced, to compare one
    // configuration at two ratios (what a sampled request costs: `@1` against `@0`).
    const at = /^(.*)@([\d.]+)$/.exec(part)
    const config = CONFIGS.find((candidate) => candidate.name.includes(at === null ? part : at[1]))
    if (at === null || config?.otel === undefined) return config
    const ratio = Number(at[2])
    return { ...config, name: `${config.name} @${ratio}`, otel: { ...config.otel, ratio } }
  }
  const config = find(name)
  const baseline = find(baselineName)
  if (config === undefined || baseline === undefined)
    throw new Error(`no configuration matches ${name} or ${baselineName}`)
  const [after, before] = await inParallel(
    [config, baseline].map((target, index) => () => {
      // INSTR_KEEP=<dir>: each dump and perf map kept in <dir>/first and <dir>/baseline, for callers.
      const keep =
        process.env.INSTR_KEEP === undefined
          ? undefined
          : join(process.env.INSTR_KEEP, index === 0 ? 'first' : 'baseline')
      if (keep !== undefined) mkdirSync(keep, { recursive: true })
      return measureProcess(target, node, receiverPort, { profile: true, keep })
    }),
    JOBS,
  )
  const rows = new Map()
  for (const [fn, cost] of after.functions) rows.set(fn, cost / REQUESTS)
  for (const [fn, cost] of before.functions) rows.set(fn, (rows.get(fn) ?? 0) - cost / REQUESTS)
  const top = [...rows].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, Number(process.env.INSTR_TOP ?? 40))
  console.log(
    `${config.name}: ${thousands(after.main)} instructions/req (main), tick slow path ${thousands(after.slowPath)}`,
  )
  console.log(
    `${baseline.name}: ${thousands(before.main)} instructions/req (main), tick slow path ${thousands(before.slowPath)}`,
  )
  console.log(`\nwhat the first adds, instructions per request by function (self, all threads):`)
  for (const [fn, cost] of top) console.log(`${cost >= 0 ? '+' : ''}${thousands(cost).padStart(8)}  ${fn}`)
}

async function main() {
  ensureDebianTool('valgrind')
  const node = nodeBinary(NODE)
  const nodeVersion = execFileSync(node, ['--version']).toString().trim()
  const configs = selectConfigs(FILTER)
  const receiver = await startDiscardingReceiver()
  const diffAt = process.argv.indexOf('--diff')
  if (diffAt !== -1) {
    try {
      await diff(node, receiver.port, process.argv[diffAt + 1] ?? '', process.argv[diffAt + 2] ?? '')
    } finally {
      receiver.close()
    }
    return
  }
  try {
    const tasks = configs.flatMap((config) =>
      Array.from({ length: PROCESSES }, (_, index) => async () => {
        // One retry: vgdb, through which callgrind_control talks to the server, now and then misses a command.
        const options = PIN ? { core: index % JOBS } : {}
        const result = await measureProcess(config, node, receiver.port, options).catch((error) => {
          console.log(`${config.name} [${index + 1}/${PROCESSES}]: ${error.message.split('\n')[0]}; once more`)
          return measureProcess(config, node, receiver.port, options)
        })
        console.log(
          `${config.name} [${index + 1}/${PROCESSES}]: ${thousands(result.main)} instructions/req (main), tick slow path ${thousands(result.slowPath)}`,
        )
        return result
      }),
    )
    const measured = await inParallel(tasks, JOBS)
    const results = configs.map((config, index) =>
      summarise(config, measured.slice(index * PROCESSES, (index + 1) * PROCESSES)),
    )
    const report = markdown(results, nodeVersion)
    writeFileSync(OUT, report)
    console.log(`\n${report}\nwritten to ${OUT}`)
  } finally {
    receiver.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
