/**
 * @module test/metrics/cluster
 * Several processes on one port, summed by the primary: 4 node:cluster workers (Sightline in code,
 * then the zero-code launcher on an unmodified app) and 4 worker threads. Each takes 10,000
 * requests while being scraped 30 times: the counts sum exactly, no counter or histogram series
 * ever goes down, promtool finds nothing; a killed worker's counts are kept, a hung one does not
 * hold a scrape past the timeout, and a real Prometheus scrapes the primary. How fast a scrape of
 * 4 × 2,000 series is, is the benchmark's (bench/cluster-scrape.mjs), not a test's.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startPrometheus } from '../deploy/prometheus-server.js'
import { findSamples, sampleValue } from '../helpers/metrics.js'
import { freePort } from '../helpers/server.js'
import {
  decreases,
  FIXTURES,
  type Fixture,
  load,
  PLAIN,
  promtoolFindings,
  REGISTER,
  type Scrape,
  scrape,
  startFixture,
  total,
} from './harness.js'

const REQUESTS = 10_000
const SCRAPES = 30
const SERIES = 2000
const CONCURRENCY = 16
const TIMEOUT_MS = 500
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0'
/** 10,000 requests of `path`, with scrapes of `metricsUrl` all along (at least 30). */
async function loadWhileScraping(base: string, path: string, requests: number, metricsUrl: string) {
  let done = false
  const loaded = load(base, path, requests, CONCURRENCY).finally(() => {
    done = true
  })
  const scrapes: Scrape[] = []
  let during = 0
  while (!done || scrapes.length < SCRAPES) {
    const one = await scrape(metricsUrl)
    assert.equal(one.status, 200, one.text)
    scrapes.push(one)
    if (!done) during++
    await new Promise((resolve) => setTimeout(resolve, done ? 10 : 60))
  }
  return { statuses: await loaded, scrapes, during }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('4 node:cluster workers, Sightline in code, the primary serving the ops port', () => {
  let app: Fixture
  let base: string
  let metricsUrl: string
  let expected = 0

  before(async () => {
    const port = await freePort()
    const opsPort = await freePort()
    base = `http://127.0.0.1:${port}`
    metricsUrl = `http://127.0.0.1:${opsPort}/metrics`
    app = await startFixture([`${FIXTURES}/app.js`], {
      WORKERS: '4',
      SERIES: String(SERIES),
      PORT: String(port),
      OPS_PORT: String(opsPort),
      SCRAPE_TIMEOUT_MS: String(TIMEOUT_MS),
    })
  })
  after(() => app?.stop())

  test('10,000 requests, 30 scrapes: exact sums, monotonic series, promtool clean', async (t) => {
    // Warm, as a scraped service is: the first scrape of a process runs cold code.
    for (let i = 0; i < 3; i++) await scrape(metricsUrl)
    const { statuses, scrapes, during } = await loadWhileScraping(base, '/work', REQUESTS, metricsUrl)
    expected = REQUESTS
    assert.deepEqual([...statuses], [[200, REQUESTS]])
    const last = await scrape(metricsUrl)
    assert.equal(total(last.samples, 'app_jobs_total'), REQUESTS)
    assert.equal(total(last.samples, 'http_server_request_duration_seconds_count'), REQUESTS)
    const items = findSamples(last.samples, 'app_items_total')
    assert.equal(items.length, SERIES, 'the 2,000 series of each worker, merged by label set')
    assert.ok(
      items.every((s) => s.value === 4),
      'each item series is the sum of 4 workers',
    )
    assert.equal(sampleValue(last.samples, 'sightline_metrics_workers', { state: 'answered' }), 4)
    assert.deepEqual(decreases([...scrapes.map((s) => s.text), last.text]), [])
    assert.equal(await promtoolFindings(last.text), '')
    const ready = await fetch(metricsUrl.replace('/metrics', '/readyz'))
    assert.equal(ready.status, 200)
    const report = (await ready.json()) as { checks: Record<string, { status: string }> }
    assert.equal(report.checks.cluster_workers?.status, 'ok', 'the primary is ready while workers report')
    t.diagnostic(`${scrapes.length} scrapes, ${during} during the load, ${last.text.length} bytes each`)
    assert.ok(scrapes.length >= SCRAPES)
  })

  test('OpenMetrics: the same sums, exemplar-capable format, # EOF', async () => {
    const om = await scrape(metricsUrl, OPENMETRICS)
    assert.match(om.headers.get('content-type') ?? '', /application\/openmetrics-text/)
    assert.ok(om.text.endsWith('# EOF\n'))
    assert.match(om.text, /^# TYPE app_jobs counter$/m)
    assert.equal(total(om.samples, 'app_jobs_total'), expected)
  })

  test('a real Prometheus scraping the primary sees the sums', async () => {
    const target = new URL(metricsUrl).host
    const prometheus = await startPrometheus({ cluster: target }, [])
    try {
      const value = async (expr: string) => {
        const result = await prometheus.query(expr)
        return result.data?.result[0]?.value[1]
      }
      await waitFor('Prometheus to scrape the primary', async () =>
        (await value('sum(app_jobs_total)')) === String(expected) ? true : undefined,
      )
      assert.equal(await value('up{job="cluster"}'), '1')
      assert.equal(await value('count(app_items_total)'), String(SERIES))
      assert.equal(await value('sum(http_server_request_duration_seconds_count)'), String(expected))
    } finally {
      await prometheus.stop()
    }
  })

  test('a worker killed with SIGKILL: its counts are kept, no counter goes down', async () => {
    const before = await scrape(metricsUrl)
    const pid = Number(await (await fetch(`${base}/pid`)).text())
    process.kill(pid, 'SIGKILL')
    // The primary forks a replacement; wait until it reports.
    const afterKill = await waitFor('the replacement worker', async () => {
      const one = await scrape(metricsUrl)
      return sampleValue(one.samples, 'sightline_metrics_workers_retired_total') === 1 &&
        sampleValue(one.samples, 'sightline_metrics_workers', { state: 'answered' }) === 4
        ? one
        : undefined
    })
    // Everything the killed worker counted (its last snapshot was the scrape before the kill).
    assert.equal(total(afterKill.samples, 'app_jobs_total'), expected)
    assert.deepEqual(decreases([before.text, afterKill.text]), [])
    const more = await load(base, '/work', 1000, 8)
    assert.deepEqual([...more], [[200, 1000]])
    expected += 1000
    const last = await scrape(metricsUrl)
    assert.equal(total(last.samples, 'app_jobs_total'), expected)
    assert.deepEqual(decreases([before.text, afterKill.text, last.text]), [])
  })

  test('a hung worker: the scrape answers within the timeout, from its last snapshot, and says so', async () => {
    const fresh = await scrape(metricsUrl)
    assert.equal(sampleValue(fresh.samples, 'sightline_metrics_workers', { state: 'stale' }), 0)
    await (await fetch(`${base}/hang?ms=3000`)).text()
    const hung = await scrape(metricsUrl)
    assert.ok(hung.ms < TIMEOUT_MS + 700, `scrape took ${hung.ms.toFixed(0)} ms`)
    assert.equal(sampleValue(hung.samples, 'sightline_metrics_workers', { state: 'stale' }), 1)
    assert.ok((sampleValue(hung.samples, 'sightline_metrics_worker_stale_total') ?? 0) >= 1)
    assert.equal(total(hung.samples, 'app_jobs_total'), expected)
    assert.deepEqual(decreases([fresh.text, hung.text]), [])
    const recovered = await waitFor('the hung worker to answer again', async () => {
      const one = await scrape(metricsUrl)
      return sampleValue(one.samples, 'sightline_metrics_workers', { state: 'stale' }) === 0 ? one : undefined
    })
    assert.equal(total(recovered.samples, 'app_jobs_total'), expected)
  })

  // A cluster worker's IPC channel keeps it alive: its shutdown ends with process.exit (`shutdown.exit`, as under the launcher).
  test('a worker stopped with SIGTERM: what it counted since the last scrape is kept', async () => {
    const before = await scrape(metricsUrl)
    const retired = sampleValue(before.samples, 'sightline_metrics_workers_retired_total') ?? 0
    assert.deepEqual([...(await load(base, '/work', 200, 4))], [[200, 200]])
    expected += 200
    const pid = Number(await (await fetch(`${base}/pid`)).text())
    // No scrape in between: the worker's share of the 200 reaches the primary in its final snapshot.
    process.kill(pid, 'SIGTERM')
    const afterStop = await waitFor('the stopped worker to exit', async () => {
      const one = await scrape(metricsUrl)
      return sampleValue(one.samples, 'sightline_metrics_workers_retired_total') === retired + 1 ? one : undefined
    })
    assert.equal(total(afterStop.samples, 'app_jobs_total'), expected)
    assert.equal(sampleValue(afterStop.samples, 'sightline_metrics_workers', { state: 'answered' }), 3)
    assert.deepEqual(decreases([before.text, afterStop.text]), [])
  })
})

describe('node:cluster with the ops endpoints on the app port', () => {
  test("a worker's /metrics answers the primary's sums, and says so", async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const app = await startFixture([`${FIXTURES}/app.js`], { WORKERS: '2', PORT: String(port), OPS_PORT: '' })
    try {
      assert.deepEqual([...(await load(base, '/work', 500, 4))], [[200, 500]])
      for (let i = 0; i < 4; i++) {
        const one = await scrape(`${base}/metrics`)
        assert.equal(one.headers.get('sightline-metrics-scope'), 'cluster')
        assert.equal(total(one.samples, 'app_jobs_total'), 500, 'every worker answers the whole cluster')
      }
      assert.equal((await fetch(`${base}/healthz`)).status, 200)
    } finally {
      await app.stop()
    }
  })
})

describe('a cluster whose primary runs no Sightline (PM2 cluster mode)', () => {
  test('the worker serves its own ops port after a second, says it is its own view, and warns', async () => {
    const port = await freePort()
    const opsPort = await freePort()
    const app = await startFixture([`${FIXTURES}/app.js`], {
      WORKERS: '1',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      PRIMARY_SIGHTLINE: '0',
    })
    try {
      assert.deepEqual([...(await load(`http://127.0.0.1:${port}`, '/work', 50, 2))], [[200, 50]])
      const one = await waitFor('the worker to serve its ops port', async () =>
        scrape(`http://127.0.0.1:${opsPort}/metrics`).catch(() => undefined),
      )
      assert.equal(one.headers.get('sightline-metrics-scope'), 'process')
      assert.equal(total(one.samples, 'app_jobs_total'), 50)
      // Log lines are written in batches (within 100 ms).
      await waitFor('the warning', async () =>
        /the cluster primary runs no Sightline: this worker serves its own ops port/.test(app.output())
          ? true
          : undefined,
      )
    } finally {
      await app.stop()
    }
  })
})

describe('the zero-code launcher on an unmodified node:cluster app', () => {
  test('the primary serves the summed /metrics on the ops port: exact count, monotonic, promtool clean', async (t) => {
    const port = await freePort()
    const opsPort = await freePort()
    const base = `http://127.0.0.1:${port}`
    const metricsUrl = `http://127.0.0.1:${opsPort}/metrics`
    const app = await startFixture(['--import', REGISTER, PLAIN], {
      WORKERS: '4',
      PORT: String(port),
      SIGHTLINE_OPS_PORT: String(opsPort),
      SIGHTLINE_OPS_HOST: '127.0.0.1',
      SIGHTLINE_ACCESS_LOG: 'false',
    })
    try {
      // The workers said hello once they loaded the launcher; wait until all 4 are summed.
      await waitFor('4 workers', async () => {
        const one = await scrape(metricsUrl)
        return sampleValue(one.samples, 'sightline_metrics_workers', { state: 'answered' }) === 4 ? true : undefined
      })
      const { statuses, scrapes, during } = await loadWhileScraping(base, '/', REQUESTS, metricsUrl)
      assert.deepEqual([...statuses], [[200, REQUESTS]])
      const last = await scrape(metricsUrl)
      assert.equal(total(last.samples, 'http_server_request_duration_seconds_count'), REQUESTS)
      assert.deepEqual(decreases([...scrapes.map((s) => s.text), last.text]), [])
      assert.equal(await promtoolFindings(last.text), '')
      // The workers left the ops port to the primary: none of them tried to bind it.
      assert.doesNotMatch(app.output(), /ops server failed to listen|EADDRINUSE/)
      assert.equal(app.output().match(/"msg":"ops endpoints listening"/g)?.length, 1)
      t.diagnostic(`${scrapes.length} scrapes (${during} during the load)`)
    } finally {
      await app.stop()
    }
  })
})

describe('4 worker threads reporting to the main thread', () => {
  let app: Fixture
  let base: string
  let metricsUrl: string

  before(async () => {
    const port = await freePort()
    const opsPort = await freePort()
    base = `http://127.0.0.1:${port}`
    metricsUrl = `http://127.0.0.1:${opsPort}/metrics`
    app = await startFixture([`${FIXTURES}/threads.js`], {
      THREADS: '4',
      SERIES: String(SERIES),
      PORT: String(port),
      OPS_PORT: String(opsPort),
      SCRAPE_TIMEOUT_MS: String(TIMEOUT_MS),
    })
  })
  after(() => app?.stop())

  test('10,000 requests, 30 scrapes: exact sums, monotonic series, promtool clean', async (t) => {
    for (let i = 0; i < 3; i++) await scrape(metricsUrl)
    const { statuses, scrapes, during } = await loadWhileScraping(base, '/work', REQUESTS, metricsUrl)
    assert.deepEqual([...statuses], [[200, REQUESTS]])
    const last = await scrape(metricsUrl)
    assert.equal(total(last.samples, 'app_jobs_total'), REQUESTS, 'the threads’ jobs, summed')
    assert.equal(total(last.samples, 'http_server_request_duration_seconds_count'), REQUESTS)
    const items = findSamples(last.samples, 'app_items_total')
    assert.equal(items.length, SERIES)
    assert.ok(items.every((s) => s.value === 4))
    assert.equal(sampleValue(last.samples, 'sightline_metrics_workers', { state: 'answered' }), 4)
    assert.deepEqual(decreases([...scrapes.map((s) => s.text), last.text]), [])
    assert.equal(await promtoolFindings(last.text), '')
    t.diagnostic(`${scrapes.length} scrapes, ${during} during the load`)
  })

  test('a hung thread: the scrape answers within the timeout, from its last snapshot', async () => {
    const fresh = await scrape(metricsUrl)
    await (await fetch(`${base}/hang?ms=3000`)).text()
    const hung = await scrape(metricsUrl)
    assert.ok(hung.ms < TIMEOUT_MS + 700, `scrape took ${hung.ms.toFixed(0)} ms`)
    assert.equal(sampleValue(hung.samples, 'sightline_metrics_workers', { state: 'stale' }), 1)
    assert.equal(total(hung.samples, 'app_jobs_total'), REQUESTS)
    assert.deepEqual(decreases([fresh.text, hung.text]), [])
    await waitFor('the hung thread to answer again', async () => {
      const one = await scrape(metricsUrl)
      return sampleValue(one.samples, 'sightline_metrics_workers', { state: 'stale' }) === 0 ? one : undefined
    })
  })

  test('a terminated thread: its counts are kept', async () => {
    const before = await scrape(metricsUrl)
    assert.equal(await (await fetch(`${base}/kill`)).text(), 'killed')
    const afterKill = await waitFor('the thread to be retired', async () => {
      const one = await scrape(metricsUrl)
      return sampleValue(one.samples, 'sightline_metrics_workers_retired_total') === 1 ? one : undefined
    })
    assert.equal(sampleValue(afterKill.samples, 'sightline_metrics_workers', { state: 'answered' }), 3)
    assert.equal(total(afterKill.samples, 'app_jobs_total'), REQUESTS)
    assert.deepEqual(decreases([before.text, afterKill.text]), [])
    assert.deepEqual([...(await load(base, '/work', 300, 4))], [[200, 300]])
    const last = await scrape(metricsUrl)
    assert.equal(total(last.samples, 'app_jobs_total'), REQUESTS + 300)
    assert.deepEqual(decreases([before.text, afterKill.text, last.text]), [])
  })
})
