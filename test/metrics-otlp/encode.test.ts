/**
 * @module test/metrics-otlp/encode
 * What the OTLP metrics push puts on the wire, decoded by protobufjs with the OTLP metrics proto's
 * messages (test/helpers/otlp-metrics-decoder): counters as monotonic cumulative sums, gauges as
 * gauges, histograms with their bounds, per-bucket counts, sum, count and exemplars (trace and span
 * ids as bytes), labels as attributes (numbers as ints, non-ASCII intact), the overflow series, the
 * resource the spans carry (OTEL_RESOURCE_ATTRIBUTES included) and the scope; sent to
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` as it is, as `application/x-protobuf`, by `close()`'s final export.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSightline } from 'sightline'
import { LogCapture } from '../helpers/logs.js'
import { metricNamed, OtlpMetricsReceiver } from '../helpers/otlp-metrics-decoder.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'

/** Runs `fn` with these variables set, as an application started with them would see them throughout. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** The series the first test records: every kind, labels with a number and non-ASCII, one past the cap. */
async function record(sightline: ReturnType<typeof createSightline>): Promise<void> {
  const jobs = sightline.metrics.counter({
    name: 'app_jobs_total',
    help: 'Jobs done, by queue.',
    labelNames: ['queue', 'shard'],
  })
  jobs.inc({ queue: 'mail', shard: 7 }, 3)
  jobs.inc({ queue: 'déjà-vu', shard: 1 }, 1.5)
  jobs.inc({ queue: 'c', shard: 2 })
  jobs.inc({ queue: 'past-the-cap', shard: 3 }, 4)
  sightline.metrics.gauge({ name: 'app_queue_depth', help: 'Jobs waiting.' }).set(-2.5)
  const payment = sightline.metrics.histogram({
    name: 'app_payment_duration_seconds',
    help: 'Payment time.',
    buckets: [0.1, 0.5, 1],
  })
  for (const value of [0.05, 0.3, 0.3, 2]) payment.observe(value)
  payment.labels().observeWithExemplar(0.7, TRACE_ID, SPAN_ID)
}

test('every kind of metric, decoded by protobufjs with the OTLP metrics proto', async () => {
  const receiver = await new OtlpMetricsReceiver().start()
  const started = Date.now()
  await withEnv(
    {
      OTEL_METRICS_EXPORTER: 'otlp',
      // Used as it is: no /v1/metrics appended.
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/custom/metrics`,
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-tenant=t%201',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.region=eu-west,team=core',
      SIGHTLINE_SERVICE_VERSION: '1.2.3',
    },
    async () => {
      const sightline = createSightline({
        service: 'encode-test',
        logDestination: new LogCapture(),
        runtimeMetrics: false,
        metricsPush: { intervalMs: 600_000 },
        maxSeriesPerMetric: 3,
        shutdown: { signals: false },
      })
      await record(sightline)
      await sightline.close()
    },
  )
  await receiver.close()
  assert.equal(receiver.requests.length, 1)
  assert.deepEqual([...receiver.paths], ['/custom/metrics'])
  assert.deepEqual([...receiver.contentTypes], ['application/x-protobuf'])
  assert.equal(receiver.headers[0]?.['x-tenant'], 't 1')
  const [request] = receiver.requests
  assert.ok(request !== undefined)
  // The resource the spans carry (tracing/sdk's buildResource), with the environment's attributes.
  assert.equal(request.resource['service.name'], 'encode-test')
  assert.equal(request.resource['service.version'], '1.2.3')
  assert.equal(request.resource['deployment.region'], 'eu-west')
  assert.equal(request.resource.team, 'core')
  assert.equal(request.resource['process.pid'], process.pid)
  assert.equal(request.resource['telemetry.sdk.language'], 'nodejs')
  assert.equal(typeof request.resource['host.name'], 'string')
  assert.equal(request.scope.name, 'sightline')

  const sum = metricNamed(request, 'app_jobs_total')
  assert.ok(sum !== undefined)
  assert.equal(sum.kind, 'sum')
  assert.equal(sum.monotonic, true)
  assert.equal(sum.temporality, 2)
  assert.equal(sum.description, 'Jobs done, by queue.')
  const byQueue = Object.fromEntries(sum.points.map((p) => [String(p.attributes.queue ?? 'overflow'), p]))
  assert.equal(byQueue.mail?.value, 3)
  assert.equal(byQueue.mail?.attributes.shard, 7)
  assert.equal(byQueue['déjà-vu']?.value, 1.5)
  assert.equal(byQueue.c?.value, 1)
  // Past the cap: the overflow series, with OpenTelemetry's overflow attribute alone.
  assert.deepEqual(byQueue.overflow?.attributes, { 'otel.metric.overflow': true })
  assert.equal(byQueue.overflow?.value, 4)
  for (const p of sum.points) {
    assert.ok(p.startNanos > 0n && p.startNanos < p.timeNanos, 'cumulative from the process start')
    assert.ok(p.startNanos <= BigInt(Math.round(performance.timeOrigin + 1)) * 1_000_000n)
  }

  const gauge = metricNamed(request, 'app_queue_depth')
  assert.equal(gauge?.kind, 'gauge')
  assert.equal(gauge?.points[0]?.value, -2.5)

  const histogram = metricNamed(request, 'app_payment_duration_seconds')
  assert.ok(histogram !== undefined)
  assert.equal(histogram.kind, 'histogram')
  assert.equal(histogram.unit, 's')
  assert.equal(histogram.temporality, 2)
  const [point] = histogram.points
  assert.ok(point !== undefined)
  assert.deepEqual(point.bounds, [0.1, 0.5, 1])
  assert.deepEqual(point.bucketCounts, [1, 2, 1, 1])
  assert.equal(point.count, 5)
  assert.ok(Math.abs((point.sum ?? 0) - 3.35) < 1e-9)
  assert.equal(point.exemplars.length, 1)
  assert.deepEqual(
    { ...point.exemplars[0], timeMs: undefined },
    { traceId: TRACE_ID, spanId: SPAN_ID, value: 0.7, timeMs: undefined },
  )
  assert.ok((point.exemplars[0]?.timeMs ?? 0) >= started - 1)

  // Sightline's own metrics go too: the series-cap refusal above is counted.
  const refused = metricNamed(request, 'sightline_metric_series_dropped_total')
  assert.equal(refused?.points.find((p) => p.attributes.metric === 'app_jobs_total')?.value, 1)
})

test('the HTTP duration histogram goes out under its semantic-convention name, unit and attribute keys', async () => {
  const receiver = await new OtlpMetricsReceiver().start()
  const sightline = createSightline({
    service: 'names-test',
    logDestination: new LogCapture(),
    runtimeMetrics: false,
    metricsExporter: 'otlp',
    metricsPush: { endpoint: `${receiver.url}/v1/metrics`, intervalMs: 600_000 },
    shutdown: { signals: false },
  })
  const { createServer } = await import('node:http')
  const server = sightline.instrument(
    createServer((req, res) => {
      res.statusCode = req.url === '/x' ? 200 : 404
      res.end()
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await (await fetch(`http://127.0.0.1:${port}/x`)).text()
  // `otlp` alone: no Prometheus pull, /metrics is the application's (here a 404).
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404)
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await sightline.close()
  await receiver.close()
  const request = receiver.requests.at(-1)
  assert.ok(request !== undefined)
  const duration = metricNamed(request, 'http.server.request.duration')
  assert.ok(duration !== undefined, request.metrics.map((m) => m.name).join(', '))
  assert.equal(duration.unit, 's')
  const statuses = duration.points.map((p) => [p.attributes['http.response.status_code'], p.count])
  assert.deepEqual(statuses.sort(), [
    [200, 1],
    [404, 1],
  ])
  for (const point of duration.points) {
    assert.equal(point.attributes['http.request.method'], 'GET')
    assert.ok('http.route' in point.attributes, JSON.stringify(point.attributes))
  }
})
