/**
 * @module viewer/metrics-view.test
 * Rates, resets and percentiles for the metrics page, and the Prometheus exposition reader:
 * cumulative counters differenced (a drop or a new start is a reset), delta counters over their
 * interval, gauges as sent, histogram percentiles interpolated in their bucket; a scrape's
 * `_bucket{le}` series turned into one histogram with per-bucket counts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newNormaliseCounters } from './counters.js'
import { DEFAULT_LIMITS } from './limits.js'
import { bucketQuantile, metricView } from './metrics-view.js'
import { TEMPORALITY_CUMULATIVE, TEMPORALITY_DELTA, type ViewerMetricPoint } from './model.js'
import { parseExposition, parseSample } from './prometheus.js'
import { Store } from './store.js'

const T0 = 1_800_000_000_000

function sum(timeMs: number, value: number, fields: Partial<ViewerMetricPoint> = {}): ViewerMetricPoint {
  return {
    name: 'jobs',
    service: 'api',
    type: 'sum',
    unit: '1',
    timeMs,
    value,
    count: 1,
    attributes: { queue: 'mail' },
    startMs: T0,
    temporality: TEMPORALITY_CUMULATIVE,
    monotonic: true,
    ...fields,
  }
}

describe('metricView', () => {
  it('turns a cumulative counter into increases per second, a drop being a reset', () => {
    const view = metricView([sum(T0 + 10_000, 10), sum(T0 + 20_000, 30), sum(T0 + 30_000, 5)], { name: 'jobs' })!
    const group = view.groups[0]!
    // 10 since the start (over 10 s), then +20 over 10 s, then a reset to 5 (its own 30 s since the start).
    assert.deepEqual(group.values, [1, 2, 5 / 30])
    assert.equal(group.total, 35)
  })

  it('turns a delta counter into its value over its interval, and splits by an attribute', () => {
    const delta = (t: number, value: number, queue: string) =>
      sum(t, value, { temporality: TEMPORALITY_DELTA, startMs: t - 10_000, attributes: { queue } })
    const view = metricView(
      [delta(T0 + 10_000, 5, 'mail'), delta(T0 + 10_000, 20, 'sms'), delta(T0 + 20_000, 15, 'mail')],
      {
        name: 'jobs',
        by: 'queue',
      },
    )!
    assert.deepEqual(
      view.groups.map((g) => [g.key, g.total, g.values]),
      [
        ['mail', 20, [0.5, 1.5]],
        ['sms', 20, [2]],
      ],
    )
  })

  it('shows a gauge as sent, and a histogram as percentiles from its bucket increases', () => {
    const gauge = (t: number, value: number) => sum(t, value, { type: 'gauge', temporality: 0, monotonic: undefined })
    assert.deepEqual(metricView([gauge(T0, 3), gauge(T0 + 10_000, 9)], { name: 'jobs' })!.groups[0]!.values, [3, 9])
    const histogram = (t: number, counts: number[]) =>
      sum(t, 0, {
        type: 'histogram',
        monotonic: undefined,
        count: counts.reduce((a, b) => a + b, 0),
        bounds: [10, 100],
        bucketCounts: counts,
      })
    const view = metricView([histogram(T0 + 10_000, [4, 0, 0]), histogram(T0 + 20_000, [4, 4, 0])], { name: 'jobs' })!
    const group = view.groups[0]!
    // The second step's increase is 4 in (10, 100]: its median is halfway through that bucket.
    assert.deepEqual(group.p50, [5, 55])
    assert.equal(group.count, 8)
    assert.equal(group.quantiles?.p50, 10)
  })

  it('interpolates a quantile inside its bucket, the last bucket giving its lower bound', () => {
    assert.equal(bucketQuantile([10, 50, 100, 500], [5, 10, 4, 1, 0], 0.5), 30)
    assert.equal(bucketQuantile([10, 50, 100, 500], [5, 10, 4, 1, 0], 0.95), 100)
    assert.equal(bucketQuantile([10], [0, 3], 0.5), 10)
    assert.equal(bucketQuantile([10], [0, 0], 0.5), 0)
  })
})

describe('parseExposition', () => {
  const read = (text: string) => parseExposition(text, 'app:1', T0, DEFAULT_LIMITS, newNormaliseCounters())

  it('reads counters, gauges and a histogram with its buckets', () => {
    const points = read(
      [
        '# TYPE http_requests_total counter',
        'http_requests_total{route="/a",method="GET"} 7',
        '# TYPE up gauge',
        'up 1',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{route="/a",le="0.1"} 2',
        'latency_seconds_bucket{route="/a",le="1"} 5',
        'latency_seconds_bucket{route="/a",le="+Inf"} 6',
        'latency_seconds_sum{route="/a"} 3.5',
        'latency_seconds_count{route="/a"} 6',
      ].join('\n'),
    )
    const byName = new Map(points.map((p) => [p.name, p]))
    assert.deepEqual(
      [
        byName.get('http_requests_total')?.type,
        byName.get('http_requests_total')?.monotonic,
        byName.get('http_requests_total')?.value,
      ],
      ['sum', true, 7],
    )
    assert.deepEqual(byName.get('http_requests_total')?.attributes, { route: '/a', method: 'GET' })
    assert.equal(byName.get('up')?.type, 'gauge')
    const histogram = byName.get('latency_seconds')!
    assert.deepEqual(
      [histogram.bounds, histogram.bucketCounts, histogram.count, histogram.value, histogram.unit],
      [[0.1, 1], [2, 3, 1], 6, 3.5, 's'],
    )
    assert.deepEqual(histogram.attributes, { route: '/a' })
  })

  it('reads escaped label values, and counts a line it cannot read', () => {
    assert.deepEqual(parseSample('m{a="x\\"y\\\\z",b="1"} 2 1700000000000'), {
      name: 'm',
      labels: { a: 'x"y\\z', b: '1' },
      value: 2,
    })
    const counters = newNormaliseCounters()
    const points = parseExposition('ok 1\n{broken 2\nbad{a=1} 3\n', 's', T0, DEFAULT_LIMITS, counters)
    assert.deepEqual(
      points.map((p) => p.name),
      ['ok'],
    )
    assert.equal(counters.recordsRejected, 2)
  })
})

describe('metric series cap', () => {
  it('keeps at most maxMetricSeries series, counting the points of more', () => {
    const store = new Store({ maxMetricSeries: 3 })
    for (let i = 0; i < 10; i++) store.addMetricPoints([sum(T0, i, { attributes: { id: String(i) } })])
    store.addMetricPoints([sum(T0 + 1, 1, { attributes: { id: '0' } })])
    assert.equal(store.metricSeries, 3)
    assert.equal(store.counters.metricSeriesDropped, 7)
    assert.equal(store.size.metricPoints, 4)
  })
})
