#!/usr/bin/env node
// @module bench/run
// The benchmark harness: every configuration side by side in one run, each slice between two slices
// of its framework's bare server (bare A bare B bare …, round after round, fresh servers each round),
// the one measured moved to core 0 and wrk on core 1, throughput and
// latency from wrk, server CPU time per request from /proc/<pid>/stat. Writes docs/BENCHMARKS.md
// (or BENCH_OUT), ending with the performance budget's targets checked against it (bench/targets.mjs).
//
// Env (also BENCH_CLUSTER=0: skips the several-processes scrape, bench/cluster-scrape.mjs): BENCH_DURATION (s, 5), BENCH_WARMUP (s, 1), BENCH_START_WARMUP (s of load for each fresh server, 3), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50),
//      BENCH_FILTER (prefixes of config names, comma-separated, no space after the comma: 'fastify', 'http,doctor-api'), BENCH_NODES ("20,24"), BENCH_OUT,
//      BENCH_MICRO (0 skips micro-benchmarks), BENCH_UNMATCHED (requests of the cardinality scenario, 0 skips),
//      BENCH_STARTUP (0 skips the zero-code start-up timing), BENCH_STARTUP_RUNS (30).
import { execFileSync, spawn } from 'node:child_process'
import { openSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cardinalityMarkdown, cardinalityScenario } from './cardinality.mjs'
import { clusterScrapeMarkdown } from './cluster-scrape.mjs'
import { selectConfigs } from './configs.mjs'
import {
  benchEnv,
  CLOCK_TICKS,
  CONNECTIONS,
  cpuTicks,
  ensureDebianTool,
  median,
  nodeBinary,
  PINNED,
  pinned,
  runWrk,
  startDiscardingReceiver,
  takePort,
  waitForPort,
} from './lib.mjs'
import { microBenchmarks, microMarkdown } from './micro.mjs'
import { startupMarkdown, startupScenario } from './startup.mjs'
import { targetsSection } from './targets.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1)
/** Load for a freshly started server before its first slice: V8 keeps tiering up code for seconds. */
const START_WARMUP = Number(process.env.BENCH_START_WARMUP ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const FILTER = process.env.BENCH_FILTER
const OUT = process.env.BENCH_OUT ?? join(root, 'docs', 'BENCHMARKS.md')
const NODES = (process.env.BENCH_NODES ?? '20,24').split(',').map((v) => v.trim())

/** Core 0 runs the server being measured; the others wait beside wrk on core 1, idle. */
const MEASURE_CORE = 0
const PARK_CORE = 1

/** Moves a running server, every thread of it, to a core (taskset -a re-pins a live process). */
function repin(pid, core) {
  if (PINNED) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' })
}

/** Starts a configuration's server, parked on PARK_CORE until its turn. */
async function startServer(config, node, receiverPort) {
  const port = await takePort()
  const env = benchEnv(config, port, receiverPort)
  const nodeArgs = [...(config.nodeArgs ?? []), join(here, 'servers', `${config.server}.mjs`)]
  const [command, args] = pinned(PARK_CORE, node, nodeArgs)
  const devNull = openSync('/dev/null', 'w')
  const child = spawn(command, args, { env, stdio: ['ignore', devNull, 'inherit'], cwd: root })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const server = { config, port, child, exited }
  try {
    await waitForPort(port, config.path)
  } catch (error) {
    await stopServer(server)
    throw error
  }
  return server
}

async function stopServer(server) {
  server.child.kill('SIGKILL')
  await server.exited
}

/** Runs `work` with the server on MEASURE_CORE, then parks it again. */
async function onMeasureCore(server, work) {
  // taskset execs the command, so the child's pid is the server's.
  repin(server.child.pid, MEASURE_CORE)
  try {
    return await work()
  } finally {
    repin(server.child.pid, PARK_CORE)
  }
}

/** One slice: a warm-up, then DURATION seconds measured. */
async function measure(server) {
  const pid = server.child.pid
  const path = server.config.path
  return onMeasureCore(server, async () => {
    await runWrk(server.port, WARMUP, path)
    const before = cpuTicks(pid)
    const result = await runWrk(server.port, DURATION, path)
    const ticks = cpuTicks(pid) - before
    return { ...result, cpuUs: ((ticks / CLOCK_TICKS) * 1e6) / Math.max(result.requests, 1) }
  })
}

/** A fresh server's first load, not recorded. */
async function warmUp(server) {
  if (START_WARMUP > 0) await onMeasureCore(server, () => runWrk(server.port, START_WARMUP, server.config.path))
}

/** Servers by framework, in configuration order: each framework's bare server and the others. */
function groupsOf(servers) {
  const groups = new Map()
  for (const server of servers) {
    const group = groups.get(server.config.server) ?? { bare: undefined, others: [] }
    if (server.config.baseline) group.bare = server
    else group.others.push(server)
    groups.set(server.config.server, group)
  }
  return [...groups.values()]
}

/** `items` starting at index `by` (mod length), wrapping around. */
const rotate = (items, by) => items.map((_, i) => items[(i + by) % items.length])

async function main() {
  ensureDebianTool('wrk')
  // The receiver below answers the measured server's exports from this process: keep its work on
  // wrk's core, off the server's.
  repin(process.pid, PARK_CORE)
  const receiver = await startDiscardingReceiver()
  const receiverPort = receiver.port
  const configs = selectConfigs(FILTER)
  const results = {}
  for (const version of NODES) {
    const node = nodeBinary(version)
    const nodeVersion = execFileSync(node, ['--version']).toString().trim()
    results[nodeVersion] = Object.fromEntries(configs.map((c) => [c.name, []]))
    // A round starts every server afresh and measures one slice per configuration, so each
    // configuration is measured within a minute of its framework's bare server. Fresh processes
    // each round: two processes of the very same configuration differed by up to ~0.08 of bare
    // (memory layout, JIT decisions), so a process kept for the whole run biased its column.
    for (let round = 1; round <= ROUNDS; round++) {
      const servers = []
      try {
        for (const config of configs) servers.push(await startServer(config, node, receiverPort))
        for (const server of servers) await warmUp(server)
        const slice = async (server) => {
          const sample = await measure(server)
          results[nodeVersion][server.config.name].push(sample)
          console.log(
            `${nodeVersion} round ${round}/${ROUNDS} ${server.config.name}: ${Math.round(sample.rps)} req/s, ${sample.cpuUs.toFixed(1)} µs CPU/req`,
          )
          return sample
        }
        // Bare, A, bare, B, bare …: each configuration is compared with the mean of the bare slices
        // just before and just after it, seconds apart, so a slow spell of the machine lands on both.
        // The order rotates from round to round, so no configuration keeps one position.
        for (const group of groupsOf(servers)) {
          let before = await slice(group.bare)
          for (const server of rotate(group.others, round)) {
            const sample = await slice(server)
            const after = await slice(group.bare)
            sample.reference = { rps: (before.rps + after.rps) / 2, cpuUs: (before.cpuUs + after.cpuUs) / 2 }
            before = after
          }
        }
      } finally {
        await Promise.all(servers.map(stopServer))
      }
    }
  }
  receiver.close()
  // Written section by section, so a failing scenario never costs the throughput table.
  const sections = report(configs, results)
  writeFileSync(OUT, sections.join('\n'))
  const extras = [
    ['BENCH_MICRO', async () => microMarkdown(await microBenchmarks())],
    ['BENCH_UNMATCHED', async () => cardinalityMarkdown(await cardinalityScenario())],
    ['BENCH_STARTUP', async () => startupMarkdown(startupScenario(nodeBinary(NODES.at(-1))))],
    ['BENCH_CLUSTER', clusterScrapeMarkdown],
  ]
  for (const [variable, section] of extras) {
    if (process.env[variable] === '0') continue
    try {
      sections.push(...(await section()))
    } catch (error) {
      sections.push(`_${variable} scenario failed: ${error.message}_`, '')
    }
    writeFileSync(OUT, sections.join('\n'))
  }
  // Last, from the tables above: each target of the performance budget and whether this run meets it.
  sections.push(...targetsSection(sections.join('\n')))
  writeFileSync(OUT, sections.join('\n'))
  console.log(`wrote ${OUT}`)
}

function report(configs, results) {
  const lines = [
    '# Benchmarks',
    '',
    '_Written by `npm run bench` (bench/run.mjs); do not edit by hand._',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${process.platform}. Method: each configuration`,
    `serves \`GET /users/:id\` returning small JSON (doctor-api: its patient route on Postgres and Redis). All servers`,
    `of a round are up at once; ${PINNED ? 'each in turn is moved to core 0 (taskset) while the others wait on core 1 beside wrk' : 'no pinning (fewer than two cores)'}.`,
    `A slice is wrk \`-t1 -c${CONNECTIONS}\` for ${WARMUP} s of warm-up and ${DURATION} s measured. A round measures every`,
    `configuration once, each between two slices of its framework's bare server (bare A bare B bare …), ${ROUNDS} rounds;`,
    `every round starts every server afresh and gives each ${START_WARMUP} s of load before its first slice, and the`,
    'order of the configurations rotates from round to round (two processes of one configuration can differ).',
    'Server CPU per request is utime+stime from `/proc/<pid>/stat` over the measured seconds divided by the requests',
    "served: robust even when wrk is the bottleneck (all the server's threads: its export worker and V8's helpers).",
    "Logs go to /dev/null. Traces go over OTLP/HTTP to a receiver in the harness, on wrk's core, that reads each batch",
    'and answers 200 while wrk runs, so exporting is part of the measured seconds. Ratios and added µs are medians over the',
    'rounds of the comparison with the mean of the two bare slices around each measurement, seconds apart, so slow',
    'spells of the machine mostly cancel out; the bare rows pool all their slices.',
    '`÷ bare` compares throughput, `÷ bare by CPU` the inverse of CPU per request (what throughput would be',
    'if the server, not wrk, were the bottleneck).',
    '',
  ]
  for (const [version, byConfig] of Object.entries(results)) {
    lines.push(
      `## Node ${version}`,
      '',
      '| configuration | req/s (min–max) | ÷ bare | p50 ms | p99 ms | CPU µs/req (min) | added µs (by min) | ÷ bare by CPU |',
      '|---|---|---|---|---|---|---|---|',
    )
    for (const config of configs) {
      const samples = byConfig[config.name]
      const baseline = configs.find((c) => c.baseline && c.server === config.server)
      const base = byConfig[baseline?.name ?? config.name]
      const rps = median(samples.map((s) => s.rps))
      const cpu = median(samples.map((s) => s.cpuUs))
      // Paired: each sample against the bare slices on either side of it (the bare server: itself).
      const referenceOf = (s) => s.reference ?? s
      const ratio = median(samples.map((s) => s.rps / referenceOf(s).rps))
      const cpuRatio = median(samples.map((s) => referenceOf(s).cpuUs / s.cpuUs))
      const added = median(samples.map((s) => s.cpuUs - referenceOf(s).cpuUs))
      // Noise from neighbours on a shared machine mostly adds CPU: the minimum is the steadiest
      // single estimate of what a configuration costs.
      const minCpu = Math.min(...samples.map((s) => s.cpuUs))
      const baseMinCpu = Math.min(...base.map((s) => s.cpuUs))
      const min = Math.min(...samples.map((s) => s.rps))
      const max = Math.max(...samples.map((s) => s.rps))
      const cells = [
        config.name,
        `${Math.round(rps)} (${Math.round(min)}–${Math.round(max)})`,
        ratio.toFixed(2),
        median(samples.map((s) => s.p50)).toFixed(2),
        median(samples.map((s) => s.p99)).toFixed(2),
        `${cpu.toFixed(1)} (${minCpu.toFixed(1)})`,
        config.baseline ? '—' : `${added.toFixed(1)} (${(minCpu - baseMinCpu).toFixed(1)})`,
        cpuRatio.toFixed(2),
      ]
      lines.push(`| ${cells.join(' | ')} |`)
    }
    lines.push('')
  }
  lines.push(
    '## Rerun',
    '',
    '```sh',
    'npm run bench                                  # full run, writes this file',
    'BENCH_DURATION=2 BENCH_ROUNDS=3 BENCH_FILTER=fastify npm run bench   # quicker, Fastify only',
    'BENCH_UNMATCHED=0 BENCH_MICRO=0 npm run bench  # skip the cardinality scenario and micro-benchmarks',
    '```',
    '',
  )
  return lines
}

await main()
