/**
 * @module test/metrics-otlp/push
 * A real Sightline app (node:http, tracing sampling every request) pushing its metrics over OTLP
 * to a real HTTP receiver that decodes them with protobufjs, while `/metrics` is scraped beside it
 * (`OTEL_METRICS_EXPORTER=otlp,prometheus`): after N requests, the first push made after the
 * scrape carries, for every `http.server.request.duration` series, the scrape's count, sum and
 * buckets (cumulative), and the delta pushes add up to them (delta, with intervals that do not
 * overlap); a sampled request is the exemplar of its bucket; the resource names the service.
 * Then the same push to the viewer's receiver, and the viewer showing the count.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'
import { createSightline, type Sightline } from 'sightline'
import { METRIC_HTTP_SERVER_DURATION } from 'sightline/names'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { findSamples, parseMetrics, type Sample } from '../helpers/metrics.js'
import {
  type DecodedPoint,
  type DecodedRequest,
  metricNamed,
  OtlpMetricsReceiver,
} from '../helpers/otlp-metrics-decoder.js'
import { close, listen } from '../helpers/server.js'

const INTERVAL_MS = 250
const DURATION = 'http.server.request.duration'

interface App {
  sightline: Sightline
  tracing: Tracing
  server: Server
  url: string
  stop(): Promise<void>
}

async function startApp(endpoint: string, temporality: 'cumulative' | 'delta', service: string): Promise<App> {
  const sightline = createSightline({
    service,
    logDestination: new LogCapture(),
    runtimeMetrics: false,
    metricsExporter: ['otlp', 'prometheus'],
    metricsPush: { endpoint, intervalMs: INTERVAL_MS, temporality },
    shutdown: { signals: false },
  })
  const tracing = await setupTracing(sightline, { exporter: 'none', sampler: 'parentbased_always_on' })
  const server = sightline.instrument(
    createServer((req, res) => {
      sightline.setRoute(req.url?.startsWith('/items/') ? '/items/:id' : '/other')
      const slow = req.url?.endsWith('/slow')
      setTimeout(
        () => {
          res.statusCode = req.url?.startsWith('/items/') ? 200 : 404
          res.end('ok')
        },
        slow ? 30 : 0,
      )
    }),
  )
  const url = await listen(server)
  return {
    sightline,
    tracing,
    server,
    url,
    async stop() {
      await close(server)
      await tracing.shutdown()
      await sightline.close()
    },
  }
}

/** `count` requests, every third one with a sampled `traceparent` whose trace id is returned. */
async function traffic(url: string, count: number): Promise<string[]> {
  const traceIds: string[] = []
  for (let i = 0; i < count; i++) {
    const headers: Record<string, string> = {}
    if (i % 3 === 0) {
      const traceId = `${(Date.now() + i).toString(16).padStart(16, '0')}${'a'.repeat(15)}${i % 10}`
      traceIds.push(traceId)
      headers.traceparent = `00-${traceId}-00f067aa0ba902b7-01`
    }
    const path = i % 5 === 4 ? '/missing' : i % 2 === 0 ? `/items/${i}/slow` : `/items/${i}`
    await (await fetch(`${url}${path}`, { headers })).text()
  }
  return traceIds
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`)
  assert.equal(response.status, 200)
  return parseMetrics(await response.text())
}

/** The first push the receiver decoded after `afterMs` (the push's own time says when it was collected). */
async function pushAfter(receiver: OtlpMetricsReceiver, afterMs: number): Promise<DecodedRequest> {
  const deadline = Date.now() + 10 * INTERVAL_MS + 5000
  for (;;) {
    const found = receiver.requests.find((r) => collectedAtMs(r) > afterMs)
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`no push collected after ${afterMs}`)
    await receiver.waitFor(receiver.requests.length + 1)
  }
}

function collectedAtMs(request: DecodedRequest): number {
  const point = request.metrics.flatMap((m) => m.points)[0]
  return point === undefined ? 0 : Number(point.timeNanos / 1_000_000n)
}

const seriesKey = (method: unknown, route: unknown, status: unknown) => `${method} ${route} ${status}`

/** The scrape's duration histogram, per series: count, sum and cumulative bucket counts. */
function scrapedSeries(samples: Sample[]) {
  const out = new Map<string, { count: number; sum: number; buckets: number[] }>()
  for (const sample of findSamples(samples, `${METRIC_HTTP_SERVER_DURATION}_count`)) {
    const { http_request_method: m, http_route: r, http_response_status_code: s } = sample.labels
    const labels = { http_request_method: m!, http_route: r!, http_response_status_code: s! }
    const buckets = findSamples(samples, `${METRIC_HTTP_SERVER_DURATION}_bucket`, labels).map((b) => b.value)
    const sum = findSamples(samples, `${METRIC_HTTP_SERVER_DURATION}_sum`, labels)[0]?.value ?? Number.NaN
    out.set(seriesKey(m, r, s), { count: sample.value, sum, buckets })
  }
  return out
}

const keyOf = (p: DecodedPoint) =>
  seriesKey(p.attributes['http.request.method'], p.attributes['http.route'], p.attributes['http.response.status_code'])

/** Per-bucket counts → cumulative, as `/metrics` shows them. */
function cumulate(counts: number[]): number[] {
  let running = 0
  return counts.map((c) => {
    running += c
    return running
  })
}

describe('OTLP metrics push against /metrics', () => {
  it('cumulative: the first push after a scrape equals it, series by series, buckets included; exemplars and resource', async () => {
    const receiver = await new OtlpMetricsReceiver().start()
    const app = await startApp(`${receiver.url}/v1/metrics`, 'cumulative', 'push-cumulative')
    try {
      const traceIds = await traffic(app.url, 25)
      const scrapedAt = Date.now()
      const scraped = scrapedSeries(await scrape(app.url))
      const push = await pushAfter(receiver, scrapedAt)
      const duration = metricNamed(push, DURATION)
      assert.ok(duration !== undefined)
      assert.equal(duration.temporality, 2)
      assert.equal(duration.points.length, scraped.size)
      let total = 0
      for (const point of duration.points) {
        const expected = scraped.get(keyOf(point))
        assert.ok(expected !== undefined, `pushed ${keyOf(point)} is not on /metrics`)
        assert.equal(point.count, expected.count, keyOf(point))
        assert.ok(Math.abs((point.sum ?? 0) - expected.sum) < 1e-9, keyOf(point))
        assert.deepEqual(cumulate(point.bucketCounts ?? []), expected.buckets, keyOf(point))
        total += point.count ?? 0
      }
      assert.equal(total, 25)
      // Sampled requests are their buckets' exemplars (each bucket keeps its latest).
      const exemplars = duration.points.flatMap((p) => p.exemplars)
      assert.ok(exemplars.length > 0)
      for (const exemplar of exemplars) {
        assert.match(exemplar.traceId, /^[0-9a-f]{32}$/)
        assert.match(exemplar.spanId, /^[0-9a-f]{16}$/)
        assert.ok(exemplar.value > 0)
      }
      assert.ok(
        exemplars.some((e) => traceIds.includes(e.traceId)),
        'an exemplar is one of the traces the requests continued',
      )
      assert.equal(push.resource['service.name'], 'push-cumulative')
      assert.equal(push.resource['process.pid'], process.pid)
      // Cumulative: every push starts where the process did.
      const starts = new Set(
        receiver.requests.flatMap((r) => metricNamed(r, DURATION)?.points ?? []).map((p) => p.startNanos),
      )
      assert.equal(starts.size, 1)
    } finally {
      await app.stop()
      await receiver.close()
    }
  })

  it('delta: the pushes add up to /metrics, in intervals that do not overlap', async () => {
    const receiver = await new OtlpMetricsReceiver().start()
    const app = await startApp(`${receiver.url}/v1/metrics`, 'delta', 'push-delta')
    try {
      await traffic(app.url, 10)
      await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS))
      await traffic(app.url, 7)
      const scrapedAt = Date.now()
      const scraped = scrapedSeries(await scrape(app.url))
      const last = await pushAfter(receiver, scrapedAt)
      const upTo = receiver.requests.indexOf(last)
      const sums = new Map<string, { count: number; sum: number; buckets: number[] }>()
      const lastTime = new Map<string, bigint>()
      let pushesWithDuration = 0
      for (const request of receiver.requests.slice(0, upTo + 1)) {
        const duration = metricNamed(request, DURATION)
        if (duration === undefined) continue
        pushesWithDuration++
        assert.equal(duration.temporality, 1)
        for (const point of duration.points) {
          const key = keyOf(point)
          assert.ok((point.count ?? 0) > 0, 'a delta series with nothing new is left out')
          assert.ok(point.startNanos < point.timeNanos)
          const previous = lastTime.get(key)
          if (previous !== undefined) assert.ok(point.startNanos >= previous, `${key}: intervals overlap`)
          lastTime.set(key, point.timeNanos)
          const into = sums.get(key) ?? {
            count: 0,
            sum: 0,
            buckets: new Array(point.bucketCounts?.length ?? 0).fill(0),
          }
          into.count += point.count ?? 0
          into.sum += point.sum ?? 0
          point.bucketCounts?.forEach((c, i) => {
            into.buckets[i] = (into.buckets[i] ?? 0) + c
          })
          sums.set(key, into)
        }
      }
      assert.ok(pushesWithDuration >= 2, `the two bursts went out in ${pushesWithDuration} pushes`)
      assert.equal(sums.size, scraped.size)
      let total = 0
      for (const [key, got] of sums) {
        const expected = scraped.get(key)
        assert.ok(expected !== undefined, key)
        assert.equal(got.count, expected.count, key)
        assert.ok(Math.abs(got.sum - expected.sum) < 1e-9, key)
        assert.deepEqual(cumulate(got.buckets), expected.buckets, key)
        total += got.count
      }
      assert.equal(total, 17)
      // No push after the scrape's carries anything the scrape had not seen (no traffic since).
      await pushAfter(receiver, collectedAtMs(last))
      const after = receiver.requests.slice(upTo + 1).flatMap((r) => metricNamed(r, DURATION)?.points ?? [])
      assert.deepEqual(after, [])
    } finally {
      await app.stop()
      await receiver.close()
    }
  })

  it("the viewer's receiver keeps the pushed points and its API shows the count", async () => {
    const viewer = new Viewer({ port: 0 })
    const base = await viewer.listen()
    const app = await startApp(`${base}/v1/metrics`, 'cumulative', 'push-viewer')
    try {
      await traffic(app.url, 12)
      const scraped = scrapedSeries(await scrape(app.url))
      const expected = [...scraped.values()].reduce((n, s) => n + s.count, 0)
      assert.equal(expected, 12)
      const deadline = Date.now() + 10_000
      let shown = 0
      while (shown !== expected && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS))
        const body = (await (await fetch(`${base}/api/metrics?name=${DURATION}&service=push-viewer`)).json()) as {
          points: { timeMs: number; count: number; type: string; unit: string }[]
        }
        // The newest push's points: one per series, each the cumulative count.
        const newest = Math.max(0, ...body.points.map((p) => p.timeMs))
        const latest = body.points.filter((p) => p.timeMs === newest)
        for (const point of latest) {
          assert.equal(point.type, 'histogram')
          assert.equal(point.unit, 's')
        }
        shown = latest.reduce((n, p) => n + p.count, 0)
      }
      assert.equal(shown, expected)
    } finally {
      await app.stop()
      await viewer.close()
    }
  })
})
