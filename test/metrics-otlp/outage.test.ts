/**
 * @module test/metrics-otlp/outage
 * The OTLP metrics push when the receiver fails: every data point of a refused export is on
 * `sightline_metric_points_dropped_total{reason="export_failed"}`, each outage is told once when it
 * begins and once when it ends (two outages, two reports), and after recovery the cumulative push
 * again equals `/metrics`; a receiver slower than the interval fills the bounded queue, whose
 * drops are counted (`queue_full`) while the app keeps answering; a graceful shutdown sends a last
 * export with the requests made just before it.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { describe, it } from 'node:test'
import { createSightline } from 'sightline'
import {
  METRIC_HTTP_SERVER_DURATION,
  METRIC_METRIC_POINTS_DROPPED,
  METRIC_METRIC_POINTS_EXPORTED,
} from 'sightline/names'
import { LogCapture } from '../helpers/logs.js'
import { findSamples, parseMetrics, sampleValue } from '../helpers/metrics.js'
import { metricNamed, OtlpMetricsReceiver, pointsIn } from '../helpers/otlp-metrics-decoder.js'
import { close, listen } from '../helpers/server.js'

const INTERVAL_MS = 200
const FAILING = 'metric export failing; the data points are dropped'
const RECOVERED = 'metric export recovered'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function startApp(receiverUrl: string, logs: LogCapture, push: Record<string, number> = {}) {
  const sightline = createSightline({
    service: 'push-outage',
    logDestination: logs,
    runtimeMetrics: false,
    metricsExporter: ['otlp', 'prometheus'],
    metricsPush: { endpoint: `${receiverUrl}/v1/metrics`, intervalMs: INTERVAL_MS, ...push },
    shutdown: { signals: false, delayMs: 0 },
  })
  const server = sightline.instrument(createServer((_req, res) => res.end('ok')))
  const url = await listen(server)
  return { sightline, server, url }
}

async function requests(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await (await fetch(`${url}/work`)).text()
}

async function durationCount(url: string): Promise<number> {
  const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text())
  return findSamples(samples, `${METRIC_HTTP_SERVER_DURATION}_count`).reduce((n, s) => n + s.value, 0)
}

describe('OTLP metrics push through outages', () => {
  it('two outages: every lost point counted, each outage told once and its end once, and the push recovers', async () => {
    const receiver = await new OtlpMetricsReceiver().start()
    const logs = new LogCapture()
    const app = await startApp(receiver.url, logs)
    try {
      await requests(app.url, 3)
      await receiver.waitFor(1)
      receiver.status = 503 // down
      const refusedBefore = receiver.refused.length
      await requests(app.url, 4)
      await sleep(6 * INTERVAL_MS)
      assert.ok(receiver.refused.length - refusedBefore >= 3, `${receiver.refused.length} refused`)
      receiver.status = 200 // back
      const acceptedAt = receiver.requests.length
      await requests(app.url, 2)
      await receiver.waitFor(acceptedAt + 2)
      receiver.status = 503 // down again
      await sleep(4 * INTERVAL_MS)
      receiver.status = 200
      await receiver.waitFor(receiver.requests.length + 2)

      const own = logs.lines.filter((l) => l.msg === FAILING || l.msg === RECOVERED).map((l) => l.msg)
      assert.deepEqual(own, [FAILING, RECOVERED, FAILING, RECOVERED])
      const first = logs.lines.find((l) => l.msg === FAILING)
      assert.match(String((first?.err as { message?: string } | undefined)?.message), /HTTP 503/)
      assert.equal(first?.request_id, undefined)

      // Every point of every refused export is counted as dropped, and only those.
      const samples = parseMetrics(await (await fetch(`${app.url}/metrics`)).text())
      const dropped = sampleValue(samples, METRIC_METRIC_POINTS_DROPPED, { reason: 'export_failed' })
      const lost = receiver.refused.reduce((n, r) => n + pointsIn(r), 0)
      assert.equal(dropped, lost)
      assert.equal(sampleValue(samples, METRIC_METRIC_POINTS_DROPPED, { reason: 'queue_full' }) ?? 0, 0)
      const exported = sampleValue(samples, METRIC_METRIC_POINTS_EXPORTED) ?? 0
      assert.ok(exported > 0)

      // Recovered: cumulative, so the next push has every request, those made during the outage too.
      const scraped = await durationCount(app.url)
      assert.equal(scraped, 9)
      const seen = receiver.requests.length
      await receiver.waitFor(seen + 1)
      const latest = receiver.requests.at(-1)!
      const pushed = metricNamed(latest, 'http.server.request.duration')?.points.reduce((n, p) => n + (p.count ?? 0), 0)
      assert.equal(pushed, scraped)
    } finally {
      await close(app.server)
      await app.sightline.close()
      await receiver.close()
    }
  })

  it('a receiver slower than the interval: the queue stays bounded, its drops are counted, the app answers', async () => {
    const receiver = await new OtlpMetricsReceiver().start()
    receiver.delayMs = 6 * INTERVAL_MS
    const logs = new LogCapture()
    const app = await startApp(receiver.url, logs, { maxQueue: 1, timeoutMs: 20 * INTERVAL_MS })
    try {
      const started = performance.now()
      await requests(app.url, 20)
      await sleep(10 * INTERVAL_MS)
      const elapsed = performance.now() - started
      const samples = parseMetrics(await (await fetch(`${app.url}/metrics`)).text())
      const queueFull = sampleValue(samples, METRIC_METRIC_POINTS_DROPPED, { reason: 'queue_full' }) ?? 0
      assert.ok(queueFull > 0, 'queue_full drops counted')
      // One export in flight and one waiting at most: the rest were dropped, not held.
      assert.ok(receiver.requests.length <= Math.ceil(elapsed / receiver.delayMs) + 1, `${receiver.requests.length}`)
      assert.equal(await durationCount(app.url), 20)
    } finally {
      await close(app.server)
      receiver.delayMs = 0
      await app.sightline.close()
      await receiver.close()
    }
  })

  it('a graceful shutdown sends a last export with the requests made just before it, then stops', async () => {
    const receiver = await new OtlpMetricsReceiver().start()
    const logs = new LogCapture()
    const app = await startApp(receiver.url, logs, { intervalMs: 60_000 })
    try {
      app.sightline.manage(app.server)
      await requests(app.url, 5)
      assert.equal(receiver.requests.length, 0)
      await app.sightline.shutdown('test')
      assert.equal(receiver.requests.length, 1)
      const pushed = metricNamed(receiver.requests[0]!, 'http.server.request.duration')
      assert.equal(
        pushed?.points.reduce((n, p) => n + (p.count ?? 0), 0),
        5,
      )
      // Stopped: close() (which flushes the other exporters) does not push again.
      await app.sightline.close()
      await sleep(2 * INTERVAL_MS)
      assert.equal(receiver.requests.length, 1)
    } finally {
      await app.sightline.close()
      await receiver.close()
    }
  })

  it('after a graceful shutdown the interval pushes no more', async () => {
    const receiver = await new OtlpMetricsReceiver().start()
    const app = await startApp(receiver.url, new LogCapture())
    try {
      app.sightline.manage(app.server)
      await requests(app.url, 2)
      await receiver.waitFor(1)
      await app.sightline.shutdown('test')
      const pushed = receiver.requests.length
      await sleep(5 * INTERVAL_MS)
      assert.equal(receiver.requests.length, pushed)
    } finally {
      await app.sightline.close()
      await receiver.close()
    }
  })
})
