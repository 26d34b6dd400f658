import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Registry, SightlineError } from 'sightline'
import { findSamples, parseMetrics, sampleValue } from '../helpers/metrics.js'

describe('get-or-create', () => {
  test('returns the same metric for the same name, type and labels', () => {
    const registry = new Registry()
    const a = registry.counter({ name: 'app_user_signups_total', help: 'Signups', labelNames: ['source'] })
    const b = registry.counter({ name: 'app_user_signups_total', help: 'Signups', labelNames: ['source'] })
    assert.equal(a, b)
  })

  test('a conflicting definition throws a coded error', () => {
    const registry = new Registry()
    registry.counter({ name: 'x_total', help: 'x', labelNames: ['a'] })
    assert.throws(
      () => registry.gauge({ name: 'x_total', help: 'x', labelNames: ['a'] }),
      (error: unknown) => error instanceof SightlineError && error.code === 'SIGHTLINE_ERR_METRIC_CONFLICT',
    )
  })

  test('names and labels are checked against Prometheus rules', () => {
    const registry = new Registry()
    const name = (message: RegExp) => ({ code: 'SIGHTLINE_ERR_METRIC_NAME', message })
    const config = (message: RegExp) => ({ code: 'SIGHTLINE_ERR_METRIC_CONFIG', message })
    assert.throws(() => registry.gauge({ name: 'bad-name', help: 'x' }), name(/invalid metric name/))
    assert.throws(() => registry.gauge({ name: 'ok', help: 'x', labelNames: ['le'] }), name(/invalid label name/))
    assert.throws(() => registry.counter({ name: 'no_suffix', help: 'x' }), name(/must end in _total/))
    // Not a name problem: a code of its own.
    assert.throws(() => registry.histogram({ name: 'h', help: 'x', buckets: [1, 0.5] }), config(/ascending/))
    assert.throws(() => registry.gauge({ name: 'no_help', help: '' }), config(/needs a help text/))
  })
})

describe('series cap', () => {
  test('past the cap, observations go to one overflow series: totals stay right, refusals counted', async () => {
    const registry = new Registry({ maxSeriesPerMetric: 3 })
    const counter = registry.counter({ name: 'paths_total', help: 'x', labelNames: ['path'] })
    const latency = registry.histogram({ name: 'latency_seconds', help: 'x', labelNames: ['path'], buckets: [1] })
    for (let i = 0; i < 10; i++) {
      counter.inc({ path: `/p${i}` })
      latency.observe({ path: `/p${i}` }, 0.5)
    }
    assert.equal(counter.seriesCount, 3)
    const samples = parseMetrics(await registry.render(false))
    assert.equal(findSamples(samples, 'paths_total').length, 4)
    // OpenTelemetry's overflow attribute, alone: sum(paths_total) is still the 10 observed.
    assert.equal(sampleValue(samples, 'paths_total', { otel_metric_overflow: 'true' }), 7)
    assert.equal(
      findSamples(samples, 'paths_total').reduce((sum, s) => sum + s.value, 0),
      10,
    )
    assert.equal(sampleValue(samples, 'latency_seconds_count', { otel_metric_overflow: 'true' }), 7)
    assert.equal(sampleValue(samples, 'sightline_metric_series_dropped_total', { metric: 'paths_total' }), 7)
  })

  test('a value that is not a finite number is refused and counted, never poisoning the sum', async () => {
    const registry = new Registry()
    const h = registry.histogram({ name: 'h_seconds', help: 'x', buckets: [1] })
    h.observe(0.5)
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) h.observe(bad)
    h.labels().observeWithExemplar(Number.NaN, 'a'.repeat(32))
    const samples = parseMetrics(await registry.render(false))
    assert.equal(sampleValue(samples, 'h_seconds_sum'), 0.5)
    assert.equal(sampleValue(samples, 'h_seconds_count'), 1)
    assert.equal(sampleValue(samples, 'sightline_metric_values_rejected_total', { metric: 'h_seconds' }), 4)
  })

  test('reading a series does not make it', async () => {
    const registry = new Registry()
    const counter = registry.counter({ name: 'reads_total', help: 'x', labelNames: ['path'] })
    const gauge = registry.gauge({ name: 'level', help: 'x', labelNames: ['path'] })
    assert.equal(counter.get({ path: '/never' }), 0)
    assert.equal(gauge.get({ path: '/never' }), 0)
    assert.equal(counter.seriesCount + gauge.seriesCount, 0)
    assert.ok(!(await registry.render(false)).includes('/never'))
  })

  test('more metrics refusing series than the cap: each is counted, nothing recurses or throws', async () => {
    const registry = new Registry({ maxSeriesPerMetric: 1 })
    const names = ['a_total', 'b_total', 'c_total', 'd_total']
    for (const name of names) {
      const counter = registry.counter({ name, help: 'x', labelNames: ['path'] })
      for (let i = 0; i < 3; i++) counter.inc({ path: `/p${i}` })
    }
    const samples = parseMetrics(await registry.render(false))
    for (const name of names) {
      assert.equal(sampleValue(samples, 'sightline_metric_series_dropped_total', { metric: name }), 2, name)
    }
  })
})

describe('exposition', () => {
  test('text format: cumulative buckets, sum, count, escaped labels', async () => {
    const registry = new Registry()
    const h = registry.histogram({ name: 'op_seconds', help: 'Op\ntime', labelNames: ['q'], buckets: [0.1, 1] })
    const child = h.labels({ q: 'a"b\\c\nd' })
    child.observe(0.05)
    child.observe(0.5)
    child.observe(5)
    const text = await registry.render(false)
    assert.match(text, /# HELP op_seconds Op\\ntime/)
    const samples = parseMetrics(text)
    const labels = { q: 'a"b\\c\nd' }
    assert.equal(sampleValue(samples, 'op_seconds_bucket', { ...labels, le: '0.1' }), 1)
    assert.equal(sampleValue(samples, 'op_seconds_bucket', { ...labels, le: '1' }), 2)
    assert.equal(sampleValue(samples, 'op_seconds_bucket', { ...labels, le: '+Inf' }), 3)
    assert.equal(sampleValue(samples, 'op_seconds_count', labels), 3)
    assert.equal(sampleValue(samples, 'op_seconds_sum', labels), 5.55)
    assert.doesNotMatch(text, /# EOF/)
  })

  test('OpenMetrics: counter family without _total, exemplars, canonical le, # EOF', async () => {
    const registry = new Registry()
    registry.counter({ name: 'jobs_total', help: 'Jobs' }).inc(2)
    const h = registry.histogram({ name: 'req_seconds', help: 'x', buckets: [1, 2] })
    h.labels().observeWithExemplar(1.5, '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7')
    const text = await registry.render(true)
    assert.match(text, /# TYPE jobs counter\njobs_total 2\n/)
    assert.match(text, /req_seconds_bucket\{le="1.0"\} 0\n/)
    assert.ok(text.endsWith('# EOF\n'))
    const bucket = findSamples(parseMetrics(text), 'req_seconds_bucket', { le: '2.0' })[0]
    assert.deepEqual(bucket?.exemplar?.labels, {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    })
    assert.equal(bucket?.exemplar?.value, 1.5)
  })

  test('a bucket keeps its latest exemplar; one without a span id drops the older span id', async () => {
    const registry = new Registry()
    const h = registry.histogram({ name: 'req_seconds', help: 'x', buckets: [1] })
    const before = Date.now() / 1000
    h.labels().observeWithExemplar(0.25, 'a'.repeat(32), 'b'.repeat(16))
    h.labels().observeWithExemplar(0.75, 'c'.repeat(32))
    const bucket = findSamples(parseMetrics(await registry.render(true)), 'req_seconds_bucket', { le: '1.0' })[0]
    assert.equal(bucket?.value, 2)
    assert.deepEqual(bucket?.exemplar?.labels, { trace_id: 'c'.repeat(32) })
    assert.equal(bucket?.exemplar?.value, 0.75)
    // Seconds, as OpenMetrics has them.
    const timestamp = bucket?.exemplar?.timestamp ?? 0
    assert.ok(timestamp >= before && timestamp <= Date.now() / 1000 + 1, String(timestamp))
  })

  test('an over-long exemplar is dropped, the observation kept, nothing thrown', async () => {
    const registry = new Registry()
    const h = registry.histogram({ name: 'req_seconds', help: 'x', buckets: [1] })
    h.labels().observeWithExemplar(0.5, 'x'.repeat(200))
    const samples = parseMetrics(await registry.render(true))
    const bucket = findSamples(samples, 'req_seconds_bucket', { le: '1.0' })[0]
    assert.equal(bucket?.value, 1)
    assert.equal(bucket?.exemplar, undefined)
  })

  test('a failing collect callback never fails the scrape', async () => {
    const errors: string[] = []
    const registry = new Registry({ onCollectError: (_e, metric) => errors.push(metric) })
    registry.gauge({
      name: 'broken',
      help: 'x',
      collect() {
        throw new Error('boom')
      },
    })
    registry.gauge({ name: 'async_broken', help: 'x', collect: async () => Promise.reject(new Error('later')) })
    const text = await registry.render(false)
    assert.match(text, /^broken 0$/m)
    assert.deepEqual(errors.sort(), ['async_broken', 'broken'])
  })
})

describe('timing helpers', () => {
  test('time() records sync, async, and throwing functions', async () => {
    const registry = new Registry()
    const h = registry.histogram({ name: 'pay_seconds', help: 'x', buckets: [0.1, 0.5, 1, 2, 5] })
    assert.equal(
      h.time(() => 42),
      42,
    )
    assert.equal(await h.time(async () => 'ok'), 'ok')
    assert.throws(() =>
      h.time(() => {
        throw new Error('no')
      }),
    )
    await assert.rejects(h.time(async () => Promise.reject(new Error('no'))))
    assert.equal(sampleValue(parseMetrics(await registry.render(false)), 'pay_seconds_count'), 4)
  })
})
