#!/usr/bin/env node
// @module bench/profile
// Profiles one benchmark configuration under load: the server runs with --cpu-prof (pinned to core 0),
// wrk loads it from core 1, and the profile's self time is summed per function and per package so the
// hot path's cost can be read without opening DevTools.
//
// Usage: node bench/profile.mjs "<configuration name substring>" [seconds]
// Env: BENCH_NODE (20 or 24, default: the running node), PROFILE_TOP (rows, 40), PROFILE_KEEP (dir to keep the .cpuprofile)
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIGS } from './configs.mjs'
import { benchEnv, nodeBinary, pinned, runWrk, waitForPort } from './lib.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const [filter, secondsArg] = process.argv.slice(2)
const config = CONFIGS.find((c) => c.name.includes(filter ?? ''))
if (filter === undefined || config === undefined) {
  console.error(
    `usage: node bench/profile.mjs "<config>" [seconds]\nconfigs:\n  ${CONFIGS.map((c) => c.name).join('\n  ')}`,
  )
  process.exit(2)
}
const seconds = Number(secondsArg ?? 5)
const node = process.env.BENCH_NODE === undefined ? process.execPath : nodeBinary(process.env.BENCH_NODE)
const dir = process.env.PROFILE_KEEP ?? mkdtempSync(join(tmpdir(), 'sightline-prof-'))
const port = 33000 + Math.floor(Math.random() * 1000)

const receiver = await startDiscardingReceiver()
const env = benchEnv(config, port, receiver.port)
const nodeArgs = [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
  '--import',
  join(here, 'servers', 'exit-on-signal.mjs'),
  ...(config.nodeArgs ?? []),
  join(here, 'servers', `${config.server}.mjs`),
]
const [command, args] = pinned(0, node, nodeArgs)
const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root })
await waitForPort(port, config.path)
runWrk(port, 1, config.path)
const result = runWrk(port, seconds, config.path)
child.kill('SIGTERM')
await new Promise((resolve) => child.once('exit', resolve))
receiver.close()

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
if (file === undefined) throw new Error(`no profile written in ${dir}`)
summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')), result)
if (process.env.PROFILE_KEEP === undefined) rmSync(dir, { recursive: true })
else console.log(`profile kept: ${join(dir, file)}`)

function summarise(profile, load) {
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
      (where.startsWith('./dist/src')
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
  console.log(`${config.name}: ${Math.round(load.rps)} req/s over ${seconds} s, ${total} samples`)
  console.log('\nself time by owner (µs per request is wall time in the profile, idle included):')
  console.log(table(pkg, 15))
  console.log('\nself time by function:')
  console.log(table(fn, Number(process.env.PROFILE_TOP ?? 40)))
  const patterns = (process.env.PROFILE_INCLUSIVE ?? '').split(',').filter(Boolean)
  if (patterns.length === 0) return
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
}

async function startDiscardingReceiver() {
  const { createServer } = await import('node:http')
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end())
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: server.address().port, close: () => server.close() }
}
