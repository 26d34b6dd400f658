/**
 * @module test/metrics/harness
 * What the several-processes tests share: a fixture started as a real process tree, a keep-alive
 * load client that counts every answer, timed scrapes, the monotonic-series check, promtool.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { parseMetrics, type Sample } from '../helpers/metrics.js'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`
export const FIXTURES = `${ROOT}test/dist/fixtures/cluster`
export const PLAIN = `${ROOT}test/fixtures/cluster/plain.mjs`

export interface Fixture {
  child: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** Starts `args` under node with `env`, resolved once it prints `{"fixture":"ready"}`. */
export async function startFixture(args: string[], env: Record<string, string>): Promise<Fixture> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LOG_FORMAT: 'json', OTEL_TRACES_EXPORTER: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const exited = once(child, 'exit')
  const deadline = Date.now() + 60_000
  while (!output.includes('{"fixture":"ready"}')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`fixture exited:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`fixture not ready within 60 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Sends `total` GETs of `path` over `concurrency` keep-alive connections; resolves with the answers by status. */
export async function load(
  base: string,
  path: string,
  total: number,
  concurrency: number,
): Promise<Map<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const statuses = new Map<number, number>()
  let sent = 0
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(`${base}${path}`, { agent }, (res) => {
        res.resume()
        res.on('end', () => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1)
          resolve()
        })
      })
      req.on('error', () => {
        statuses.set(-1, (statuses.get(-1) ?? 0) + 1)
        resolve()
      })
    })
  const lane = async (): Promise<void> => {
    while (sent < total) {
      sent++
      await one()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  agent.destroy()
  return statuses
}

export interface Scrape {
  text: string
  ms: number
  status: number
  headers: Headers
  samples: Sample[]
}

export async function scrape(url: string, accept?: string): Promise<Scrape> {
  const start = performance.now()
  const response = await fetch(url, accept === undefined ? {} : { headers: { accept } })
  const text = await response.text()
  const ms = performance.now() - start
  return {
    text,
    ms,
    status: response.status,
    headers: response.headers,
    samples: response.status === 200 ? parseMetrics(text) : [],
  }
}

/** The sum of every sample named `name`. */
export function total(samples: Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0)
}

/** Every counter and histogram sample (those that may never go down), keyed by name and labels. */
export function monotonicSamples(text: string): Map<string, number> {
  const kinds = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (match !== null) kinds.set(match[1] as string, match[2] as string)
  }
  const out = new Map<string, number>()
  for (const sample of parseMetrics(text)) {
    const family = kinds.has(sample.name) ? sample.name : sample.name.replace(/_(bucket|sum|count)$/, '')
    const kind = kinds.get(family)
    if (kind !== 'counter' && kind !== 'histogram') continue
    const labels = Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')
    out.set(`${sample.name}{${labels}}`, sample.value)
  }
  return out
}

/** Every series that went down between consecutive scrapes, or vanished. */
export function decreases(texts: string[]): string[] {
  const found: string[] = []
  let previous: Map<string, number> | undefined
  for (const text of texts) {
    const current = monotonicSamples(text)
    if (previous !== undefined)
      for (const [key, value] of previous) {
        const now = current.get(key)
        if (now === undefined) found.push(`${key} vanished (was ${value})`)
        else if (now < value) found.push(`${key} went from ${value} to ${now}`)
      }
    previous = current
  }
  return found
}

/** promtool's findings on `text` ('' when clean); rejects if promtool fails to run. */
export function promtoolFindings(text: string): Promise<string> {
  const child = execFile(process.env.PROMTOOL_BIN ?? 'promtool', ['check', 'metrics'])
  child.stdin?.end(text)
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d) => (out += d))
    child.stderr?.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => resolve(code === 0 ? out.trim() : `exit ${code}: ${out.trim()}`))
  })
}

/** The `p`-th percentile (0–100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}
