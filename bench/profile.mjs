#!/usr/bin/env node
// @module bench/profile
// Profiles one benchmark configuration under load: the server runs with --cpu-prof (pinned to core 0),
// wrk loads it from core 1, and the profile's self time is summed per function and per package so the
// hot path's cost can be read without opening DevTools.
//
// Usage: node bench/profile.mjs "<configuration name substring>" [seconds] [--vs "<other configuration>"]
// With --vs, the other configuration is profiled first and the report ends with the difference per
// function (µs per request): what the first configuration adds, frame by frame.
// Env: BENCH_NODE (20 or 24, default: the running node), PROFILE_TOP (rows, 40), PROFILE_KEEP (dir to keep the .cpuprofile)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIGS } from './configs.mjs'
import { nodeBinary, runWrk, spawnServer, startDiscardingReceiver, waitForPort } from './lib.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const argv = process.argv.slice(2)
const vsAt = argv.indexOf('--vs')
const vsFilter = vsAt === -1 ? undefined : argv[vsAt + 1]
const [filter, secondsArg] = vsAt === -1 ? argv : argv.slice(0, vsAt).concat(argv.slice(vsAt + 2))
const findConfig = (part) => (part === undefined ? undefined : CONFIGS.find((c) => c.name.includes(part)))
const config = findConfig(filter)
const vsConfig = findConfig(vsFilter)
if (config === undefined || (vsFilter !== undefined && vsConfig === undefined)) {
  console.error(
    `usage: node bench/profile.mjs "<config>" [seconds] [--vs "<config>"]\nconfigs:\n  ${CONFIGS.map((c) => c.name).join('\n  ')}`,
  )
  process.exit(2)
}
const seconds = Number(secondsArg ?? 5)
const node = process.env.BENCH_NODE === undefined ? process.execPath : nodeBinary(process.env.BENCH_NODE)
const rows = Number(process.env.PROFILE_TOP ?? 40)

const receiver = await startDiscardingReceiver()
const before = vsConfig === undefined ? undefined : summarise(vsConfig, ...(await profileOnce(vsConfig)), 10)
const after = summarise(config, ...(await profileOnce(config)), rows)
receiver.close()
if (before !== undefined) printDifference(before, after)

/** Runs one configuration under wrk with --cpu-prof; its profile and wrk's figures. */
async function profileOnce(target) {
  const dir = process.env.PROFILE_KEEP ?? mkdtempSync(join(tmpdir(), 'sightline-prof-'))
  const port = 33000 + Math.floor(Math.random() * 1000)
  const child = spawnServer(node, target, {
    port,
    receiverPort: receiver.port,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  })
  await waitForPort(port, target.path)
  await runWrk(port, 1, target.path)
  const result = await runWrk(port, seconds, target.path)
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  // Named CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; taskset execs, so the pid is node's.
  // PROFILE_KEEP may hold earlier runs' profiles: this run's carries this child's pid.
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.includes(`.${child.pid}.`))
  if (file === undefined) throw new Error(`no profile written in ${dir}`)
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
  if (process.env.PROFILE_KEEP === undefined) rmSync(dir, { recursive: true })
  else console.log(`profile kept: ${join(dir, file)}`)
  return [profile, result]
}

/** Self time per function of `after` minus `before`, in µs per request, largest first. */
function printDifference(before, after) {
  const keys = new Set([...before.perFunction.keys(), ...after.perFunction.keys()])
  const diff = [...keys]
    .map((key) => [key, (after.perFunction.get(key) ?? 0) - (before.perFunction.get(key) ?? 0)])
    .sort((a, b) => b[1] - a[1])
  const total = diff.reduce((sum, [, us]) => sum + us, 0)
  console.log(`\n${after.name} minus ${before.name}: ${total.toFixed(2)} µs/req of wall time in all`)
  console.log("(largest additions first; differences under ~0.1 µs are within a profile's noise)")
  for (const [key, us] of diff.slice(0, rows)) console.log(`${us.toFixed(2).padStart(7)} µs/req  ${key}`)
}

/** Prints self time per owner and per function; returns µs per request by function. */
function summarise(target, profile, load, functionRows) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const hits = new Map()
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  const total = profile.samples.length
  const fn = new Map()
  const pkg = new Map()
  for (const [id, count] of hits) {
    const frame = byId.get(id).callFrame
    const where = frame.url.replace(/^file:\/\//, '').replace(root, '.')
    const key = `${frame.functionName || '(anonymous)'}  ${where.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + count)
    const owner =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
      (where.startsWith('./packages/sightline/dist/src')
        ? 'sightline'
        : where.startsWith('node:')
          ? 'node core'
          : where || frame.functionName)
    pkg.set(owner, (pkg.get(owner) ?? 0) + count)
  }
  const microsPerRequest = (count) => ((count / total) * (profile.endTime - profile.startTime)) / load.requests
  const table = (map, rows) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(
        ([key, count]) =>
          `${((count / total) * 100).toFixed(1).padStart(5)}%  ${microsPerRequest(count).toFixed(2).padStart(6)} µs/req  ${key}`,
      )
      .join('\n')
  console.log(`${target.name}: ${Math.round(load.rps)} req/s over ${seconds} s, ${total} samples`)
  console.log('\nself time by owner (µs per request is wall time in the profile, idle included):')
  console.log(table(pkg, 15))
  console.log('\nself time by function:')
  console.log(table(fn, functionRows))
  const perFunction = new Map([...fn].map(([key, count]) => [key, microsPerRequest(count)]))
  const patterns = (process.env.PROFILE_INCLUSIVE ?? '').split(',').filter(Boolean)
  if (patterns.length === 0) return { name: target.name, perFunction }
  // Inclusive time: samples with a matching frame anywhere on their stack, counted once each.
  const parent = new Map()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const inclusive = new Map(patterns.map((p) => [p, 0]))
  for (const [id, count] of hits) {
    const names = []
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame
      names.push(`${frame.functionName} ${frame.url}`)
    }
    for (const pattern of patterns) {
      const re = new RegExp(pattern)
      if (names.some((name) => re.test(name))) inclusive.set(pattern, inclusive.get(pattern) + count)
    }
  }
  console.log('\ninclusive time (PROFILE_INCLUSIVE patterns, matched against "function url"):')
  console.log(table(inclusive, patterns.length))
  return { name: target.name, perFunction }
}
