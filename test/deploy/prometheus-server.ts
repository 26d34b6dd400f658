/**
 * @module test/deploy/prometheus-server
 * A real Prometheus for a test: its own config, a temporary storage directory, a free port, and
 * a small client for the HTTP API.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort } from '../helpers/server.js'
import { PROMETHEUS } from './tools.js'

export interface QueryResult {
  status: 'success' | 'error'
  error?: string
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }
}

export interface PrometheusServer {
  url: string
  query(expr: string): Promise<QueryResult>
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>
  stop(): Promise<void>
  output(): string
}

/** Starts Prometheus scraping `targets` (job → host:port) every second, with `ruleFiles` loaded. */
export async function startPrometheus(targets: Record<string, string>, ruleFiles: string[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-prometheus-'))
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
    rule_files: ruleFiles,
    scrape_configs: Object.entries(targets).map(([job, target]) => ({
      job_name: job,
      static_configs: [{ targets: [target] }],
    })),
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config))
  const port = await freePort()
  let output = ''
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`

  async function stop(): Promise<void> {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`)
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    )
    if (ready) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`prometheus not ready within 20 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }),
      })
      return (await response.json()) as QueryResult
    },
    async alerts() {
      const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string }[] }
      }
      return body.data.alerts
    },
    stop,
    output: () => output,
  }
}
