/**
 * @module metrics-otlp/points.test
 * What one collection reads from a registry: cumulative from the process start, delta since the
 * previous collection (series with nothing new left out, resets started over, only new exemplars),
 * and the OpenTelemetry names of the semantic-convention metrics.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from '../core/metrics/registry.js'
import type { ExportMetric, HistogramPoint, NumberPoint } from './model.js'
import { PointBuilder } from './points.js'

function named(metrics: ExportMetric[], name: string): ExportMetric | undefined {
  return metrics.find((m) => m.name === name)
}

/** The first point of `metric`, which must be there. */
function firstPoint(metric: ExportMetric | undefined): NumberPoint | HistogramPoint {
  const point = metric?.points[0]
  assert.ok(point !== undefined, 'the metric has a point')
  return point
}

describe('PointBuilder', () => {
  it('cumulative: every series as /metrics has it, from the process start', async () => {
    const registry = new Registry()
    const jobs = registry.counter({ name: 'app_jobs_total', help: 'Jobs.', labelNames: ['queue'] })
    jobs.inc({ queue: 'a' }, 2)
    const builder = new PointBuilder('cumulative', 1000)
    const first = named(builder.build(await registry.collectMetrics(), 5000), 'app_jobs_total')
    jobs.inc({ queue: 'a' })
    const second = named(builder.build(await registry.collectMetrics(), 9000), 'app_jobs_total')
    assert.deepEqual(first?.points, [
      { attributes: [{ key: 'queue', value: 'a' }], startMs: 1000, timeMs: 5000, value: 2 },
    ])
    assert.deepEqual((firstPoint(second) as NumberPoint).startMs, 1000)
    assert.deepEqual((firstPoint(second) as NumberPoint).value, 3)
  })

  it('delta: increments since the previous collection, nothing for a series that gained nothing', async () => {
    const registry = new Registry()
    const jobs = registry.counter({ name: 'app_jobs_total', help: 'Jobs.', labelNames: ['queue'] })
    const payment = registry.histogram({ name: 'app_pay_seconds', help: 'Pay.', buckets: [1, 2] })
    const depth = registry.gauge({ name: 'app_depth', help: 'Depth.' })
    jobs.inc({ queue: 'a' }, 2)
    payment.observe(0.5)
    depth.set(4)
    const builder = new PointBuilder('delta', 1000)
    const first = builder.build(await registry.collectMetrics(), 5000)
    assert.equal((firstPoint(named(first, 'app_jobs_total')) as NumberPoint).value, 2)
    jobs.inc({ queue: 'a' }, 3)
    jobs.inc({ queue: 'b' })
    payment.observe(1.5)
    payment.observe(7)
    depth.set(1)
    const second = builder.build(await registry.collectMetrics(), 9000)
    const sum = named(second, 'app_jobs_total')
    assert.deepEqual(
      sum?.points.map((p) => [(p as NumberPoint).attributes[0]?.value, (p as NumberPoint).value, p.startMs, p.timeMs]),
      [
        ['a', 3, 5000, 9000],
        ['b', 1, 5000, 9000],
      ],
    )
    const histogram = named(second, 'app_pay_seconds')?.points[0] as HistogramPoint
    assert.deepEqual([...Array.from(histogram.bucketCounts)], [0, 1, 1])
    assert.equal(histogram.count, 2)
    assert.equal(histogram.sum, 8.5)
    assert.equal(histogram.startMs, 5000)
    // Gauges are gauges in every temporality: the current value.
    assert.equal((firstPoint(named(second, 'app_depth')) as NumberPoint).value, 1)
    // Nothing new: the counter and the histogram are left out; the gauge stays.
    const third = builder.build(await registry.collectMetrics(), 12000)
    assert.equal(named(third, 'app_jobs_total'), undefined)
    assert.equal(named(third, 'app_pay_seconds'), undefined)
    assert.equal((firstPoint(named(third, 'app_depth')) as NumberPoint).value, 1)
    // A reset series starts over: all of its new value is new.
    jobs.reset()
    jobs.inc({ queue: 'a' }, 1)
    const fourth = builder.build(await registry.collectMetrics(), 15000)
    assert.equal((firstPoint(named(fourth, 'app_jobs_total')) as NumberPoint).value, 1)
  })

  it('delta sends only the exemplars recorded in the interval; lowmemory is delta for these instruments', async () => {
    const registry = new Registry()
    const payment = registry.histogram({ name: 'app_pay_seconds', help: 'Pay.', buckets: [1] })
    const builder = new PointBuilder('lowmemory', 0)
    payment.labels().observeWithExemplar(0.5, '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7')
    const first = named(builder.build(await registry.collectMetrics(), Date.now() + 1), 'app_pay_seconds')
    assert.equal(first?.kind === 'histogram' ? first.temporality : 0, 1)
    assert.equal((firstPoint(first) as HistogramPoint).exemplars.length, 1)
    payment.observe(3)
    const second = named(builder.build(await registry.collectMetrics(), Date.now() + 2), 'app_pay_seconds')
    assert.equal((firstPoint(second) as HistogramPoint).exemplars.length, 0)
  })

  it('names: a semantic convention gets its name, unit and attribute keys; others keep theirs, the unit from the suffix', async () => {
    const registry = new Registry()
    registry
      .histogram({
        name: 'http_server_request_duration_seconds',
        help: 'Duration.',
        labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      })
      .observe({ http_request_method: 'GET', http_route: '/a', http_response_status_code: 200 }, 0.1)
    registry.counter({ name: 'app_sent_bytes_total', help: 'Sent.' }).inc(10)
    const built = new PointBuilder('cumulative', 0).build(await registry.collectMetrics(), 1)
    const duration = named(built, 'http.server.request.duration')
    assert.equal(duration?.unit, 's')
    assert.deepEqual(duration?.points[0]?.attributes, [
      { key: 'http.request.method', value: 'GET' },
      { key: 'http.route', value: '/a' },
      { key: 'http.response.status_code', value: 200 },
    ])
    assert.equal(named(built, 'app_sent_bytes_total')?.unit, 'By')
  })
})
