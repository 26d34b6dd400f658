#!/usr/bin/env node
// @module bench/threads
// CPU per request, thread by thread: which of a server's threads (the application's, the export
// workers', V8's helpers, libuv's pool) pays for a configuration. The server runs pinned to core 0
// as in bench/run.mjs, wrk loads it from core 1, and utime+stime of every /proc/<pid>/task/<tid> is
// read before and after the measured seconds. Configurations alternate, `rounds` times each.
//
// Usage: node bench/threads.mjs "<configuration substring>" ["<another>" ...] [--seconds 5] [--rounds 3] [--park]
// Env: BENCH_NODE (20, 22 or 24; default the running node)
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { CONFIGS } from './configs.mjs'
import {
  CLOCK_TICKS,
  median,
  nodeBinary,
  PINNED,
  runWrk,
  spawnServer,
  startDiscardingReceiver,
  takePort,
  waitForPort,
} from './lib.mjs'

const argv = process.argv.slice(2)
const option = (name, fallback) => {
  const at = argv.indexOf(name)
  if (at === -1) return fallback
  const value = Number(argv[at + 1])
  argv.splice(at, 2)
  return value
}
const seconds = option('--seconds', 5)
// --park: this harness (and the receiver in it) on wrk's core, as bench/run.mjs runs it.
const park = argv.includes('--park')
if (park) argv.splice(argv.indexOf('--park'), 1)
const rounds = option('--rounds', 3)
const configs = argv.map((part) => {
  const found = CONFIGS.find((c) => c.name === part) ?? CONFIGS.find((c) => c.name.includes(part))
  if (found === undefined) {
    console.error(`no configuration matches "${part}":\n  ${CONFIGS.map((c) => c.name).join('\n  ')}`)
    process.exit(2)
  }
  return found
})
if (configs.length === 0) {
  console.error('usage: node bench/threads.mjs "<configuration>" ["<another>" ...] [--seconds 5] [--rounds 3]')
  process.exit(2)
}
const node = process.env.BENCH_NODE === undefined ? process.execPath : nodeBinary(process.env.BENCH_NODE)

/** Ticks by thread name (threads of one name summed: V8's helpers, libuv's pool), user and system apart. */
function threadTicks(pid) {
  const byName = new Map()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // a thread that ended between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const label = Number(tid) === pid ? 'main' : name
    byName.set(`${label} (user)`, (byName.get(`${label} (user)`) ?? 0) + Number(fields[11]))
    byName.set(`${label} (system)`, (byName.get(`${label} (system)`) ?? 0) + Number(fields[12]))
  }
  return byName
}

async function measure(config, receiverPort) {
  const port = await takePort()
  const child = spawnServer(node, config, { port, receiverPort })
  try {
    await waitForPort(port, config.path)
    await runWrk(port, 3, config.path)
    const before = threadTicks(child.pid)
    const load = await runWrk(port, seconds, config.path)
    const after = threadTicks(child.pid)
    const perThread = new Map()
    for (const [name, ticks] of after) {
      const us = (((ticks - (before.get(name) ?? 0)) / CLOCK_TICKS) * 1e6) / load.requests
      perThread.set(name, us)
    }
    return { rps: load.rps, perThread }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

if (park && PINNED) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
const receiver = await startDiscardingReceiver()
const results = new Map(configs.map((c) => [c.name, []]))
for (let round = 0; round < rounds; round++) {
  for (const config of round % 2 ? [...configs].reverse() : configs) {
    results.get(config.name).push(await measure(config, receiver.port))
  }
}
receiver.close()

console.log(`Node ${process.version === node ? process.version : node}, ${rounds} rounds of ${seconds} s, medians`)
for (const [name, runs] of results) {
  const names = new Set(runs.flatMap((r) => [...r.perThread.keys()]))
  const rows = [...names]
    .map((thread) => [thread, median(runs.map((r) => r.perThread.get(thread) ?? 0))])
    .filter(([, us]) => us >= 0.05)
    .sort((a, b) => b[1] - a[1])
  const total = median(runs.map((r) => [...r.perThread.values()].reduce((a, b) => a + b, 0)))
  console.log(`\n${name}: ${Math.round(median(runs.map((r) => r.rps)))} req/s, ${total.toFixed(1)} µs/req in all`)
  for (const [thread, us] of rows) console.log(`  ${us.toFixed(2).padStart(7)} µs/req  ${thread}`)
}
