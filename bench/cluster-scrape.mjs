#!/usr/bin/env node
import { fork } from 'node:child_process'
import { freePort } from '../test/dist/helpers/server.js'
// @module bench/cluster-scrape
// How long the primary takes to answer a scrape summed from 4 workers of 2,000 series each, while
// they serve 10,000 requests (issue 27's budget: p99 ≤ 50 ms): 4 node:cluster workers, then 4 worker
// threads, the fixtures of test/metrics/cluster.test.ts (built by `npm run build`). The tests prove
// the sums exact; this measures the time, on a machine left alone. The load comes from a process of
// its own, as a service's clients and its Prometheus are apart: a scrape timed in the process that
// also drives 16 connections measures that process' event loop as much as the primary.
// Usage: node bench/cluster-scrape.mjs   Env: CLUSTER_REQUESTS (10000), CLUSTER_SERIES (2000), CLUSTER_SCRAPES (30)
import { FIXTURES, load, percentile, scrape, startFixture } from '../test/dist/metrics/harness.js'

/** `load` in a child process (this file, run with CLUSTER_LOAD=base): resolves when it has sent them all. */
function loadApart(base) {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url).pathname, [], { env: { ...process.env, CLUSTER_LOAD: base } })
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the load process exited with ${code}`))))
  })
}

const REQUESTS = Number(process.env.CLUSTER_REQUESTS ?? 10_000)
const SERIES = Number(process.env.CLUSTER_SERIES ?? 2000)
const SCRAPES = Number(process.env.CLUSTER_SCRAPES ?? 30)
export const SCRAPE_P99_BUDGET_MS = 50

/** p50 and p99 of the scrapes made while the workers serve the load (at least SCRAPES of them). */
export async function clusterScrape(kind) {
  const port = await freePort()
  const opsPort = await freePort()
  const fixture = kind === 'threads' ? 'threads.js' : 'app.js'
  const app = await startFixture([`${FIXTURES}/${fixture}`], {
    [kind === 'threads' ? 'THREADS' : 'WORKERS']: '4',
    SERIES: String(SERIES),
    PORT: String(port),
    OPS_PORT: String(opsPort),
    SCRAPE_TIMEOUT_MS: '500',
  })
  const metricsUrl = `http://127.0.0.1:${opsPort}/metrics`
  try {
    // Warm, as a scraped service is: the first scrape of a process runs cold code.
    for (let i = 0; i < 3; i++) await scrape(metricsUrl)
    let done = false
    const loaded = loadApart(`http://127.0.0.1:${port}`).finally(() => {
      done = true
    })
    const ms = []
    while (!done || ms.length < SCRAPES) {
      const one = await scrape(metricsUrl)
      if (one.status !== 200) throw new Error(`scrape answered ${one.status}`)
      if (!done) ms.push(one.ms)
      else if (ms.length < SCRAPES) ms.push(one.ms)
      await new Promise((resolve) => setTimeout(resolve, done ? 10 : 60))
    }
    await loaded
    return { scrapes: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99) }
  } finally {
    await app.stop()
  }
}

export async function clusterScrapeMarkdown() {
  const lines = [
    '## Scrapes summed from several processes',
    '',
    `The primary answering \`/metrics\` for 4 workers of ${SERIES.toLocaleString('en')} series each while they serve ${REQUESTS.toLocaleString('en')} requests (\`bench/cluster-scrape.mjs\`; budget p99 ≤ ${SCRAPE_P99_BUDGET_MS} ms):`,
    '',
    '| workers | scrapes | p50 ms | p99 ms |',
    '|---|---|---|---|',
  ]
  for (const kind of ['cluster', 'threads']) {
    const r = await clusterScrape(kind)
    lines.push(
      `| 4 ${kind === 'threads' ? 'worker threads' : 'node:cluster workers'} | ${r.scrapes} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    )
  }
  lines.push('')
  return lines
}

if (process.env.CLUSTER_LOAD !== undefined) {
  const statuses = await load(process.env.CLUSTER_LOAD, '/work', REQUESTS, 16)
  process.exit(statuses.get(200) === REQUESTS ? 0 : 1)
} else if (import.meta.url === `file://${process.argv[1]}`) console.log((await clusterScrapeMarkdown()).join('\n'))
