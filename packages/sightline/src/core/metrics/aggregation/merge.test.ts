/**
 * @module core/metrics/aggregation/merge.test
 * Summing registries: counters and buckets added, gauges by their rule, the latest exemplar per
 * bucket, the series cap after merging (stable across scrapes), shapes that differ left out, and
 * the sum rendered by the registry's own exposition code.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Registry } from '../registry.js'
import { Accumulator, SeriesCaps } from './merge.js'
import { restore } from './restore.js'
import type { RegistrySnapshot } from './snapshot.js'

function worker(jobs: number, inFlight: number, delay: number, items: string[] = []): Registry {
  const registry = new Registry()
  registry.counter({ name: 'app_jobs_total', help: 'Jobs.' }).inc(jobs)
  registry.gauge({ name: 'app_in_flight', help: 'In flight.' }).set(inFlight)
  registry.gauge({ name: 'app_delay_seconds', help: 'Delay.', aggregate: 'max' }).set(delay)
  registry.gauge({ name: 'app_heap_bytes', help: 'Heap.', aggregate: 'worker' }).set(delay * 100)
  const byItem = registry.counter({ name: 'app_items_total', help: 'Items.', labelNames: ['item'] })
  for (const item of items) byItem.inc({ item })
  const latency = registry.histogram({ name: 'app_latency_seconds', help: 'Latency.', buckets: [0.1, 1] })
  latency.labels().observeWithExemplar(0.05 * (jobs + 1), `trace${jobs}`, `span${jobs}`)
  return registry
}

function render(merged: RegistrySnapshot, openMetrics = false): string {
  return merged.map((metric) => restore(metric, 'primary').render(openMetrics)).join('')
}

test('counters and histograms are summed, gauges by their rule, the worker label per process', async () => {
  const acc = new Accumulator(new SeriesCaps(100), () => assert.fail('no conflict'))
  acc.add(await worker(1, 2, 0.01).snapshot(), undefined)
  acc.add(await worker(10, 3, 0.5).snapshot(), '1')
  acc.add(await worker(100, 4, 0.2).snapshot(), '2')
  const text = render(acc.result())
  assert.match(text, /^app_jobs_total 111$/m)
  assert.match(text, /^app_in_flight 9$/m)
  assert.match(text, /^app_delay_seconds 0.5$/m)
  assert.match(text, /^app_heap_bytes\{worker="primary"\} 1$/m)
  assert.match(text, /^app_heap_bytes\{worker="1"\} 50$/m)
  assert.match(text, /^app_heap_bytes\{worker="2"\} 20$/m)
  assert.match(text, /^app_latency_seconds_count 3$/m)
  assert.match(text, /^app_latency_seconds_bucket\{le="0.1"\} 1$/m)
  assert.match(text, /^app_latency_seconds_bucket\{le="\+Inf"\} 3$/m)
})

test('each bucket keeps its most recent exemplar across processes (OpenMetrics)', async () => {
  const older = worker(1, 0, 0)
  const newer = worker(3, 0, 0)
  const olderSnapshot = await older.snapshot()
  await new Promise((resolve) => setTimeout(resolve, 5))
  const newerSnapshot = await newer.snapshot()
  // Both in the `le="1"` bucket (0.1 and 0.2); the newer recorded later.
  const series = (newerSnapshot.find((m) => m.name === 'app_latency_seconds')?.series[0] ?? []) as unknown[]
  ;((series[4] as unknown[][])[0] as number[])[4] = Date.now() + 1000
  const acc = new Accumulator(new SeriesCaps(100), () => {})
  acc.add(olderSnapshot, '1')
  acc.add(newerSnapshot, '2')
  const text = render(acc.result(), true)
  assert.match(text, /app_latency_seconds_bucket\{le="1.0"\} 2 # \{trace_id="trace3",span_id="span3"\} 0.2/)
})

test('the series cap holds after merging, and a series keeps its place from one scrape to the next', async () => {
  const caps = new SeriesCaps(3)
  const scrape = async (workers: string[][]) => {
    const acc = new Accumulator(caps, () => {})
    for (const [i, items] of workers.entries()) acc.add(await worker(0, 0, 0, items).snapshot(), String(i))
    return render(acc.result())
  }
  const first = await scrape([
    ['a', 'b'],
    ['c', 'd'],
  ])
  assert.match(first, /^app_items_total\{item="a"\} 1$/m)
  assert.match(first, /^app_items_total\{item="c"\} 1$/m)
  assert.doesNotMatch(first, /item="d"/)
  assert.match(first, /^app_items_total\{otel_metric_overflow="true"\} 1$/m)
  // Another order next time: d still goes to the overflow series, which does not go down.
  const second = await scrape([
    ['c', 'd'],
    ['a', 'b'],
  ])
  assert.match(second, /^app_items_total\{item="c"\} 1$/m)
  assert.doesNotMatch(second, /item="d"/)
  assert.match(second, /^app_items_total\{otel_metric_overflow="true"\} 1$/m)
})

test('a process defining a metric differently is left out of that metric and told', async () => {
  const other = new Registry()
  other.gauge({ name: 'app_jobs_total', help: 'A gauge by the same name.' }).set(5)
  const conflicts: string[] = []
  const acc = new Accumulator(new SeriesCaps(100), (metric, from) => conflicts.push(`${metric} ${from}`))
  acc.add(await worker(1, 0, 0).snapshot(), undefined)
  acc.add(await other.snapshot(), '7')
  assert.deepEqual(conflicts, ['app_jobs_total 7'])
  assert.match(render(acc.result()), /^app_jobs_total 1$/m)
})

test('the retired accumulator keeps counters and histograms, never gauges', async () => {
  const retired = new Accumulator(new SeriesCaps(100), () => {})
  retired.add(await worker(4, 9, 0.3).snapshot(), undefined, true)
  const names = retired.result().map((m) => m.name)
  assert.ok(names.includes('app_jobs_total'))
  assert.ok(names.includes('app_latency_seconds'))
  assert.ok(!names.includes('app_in_flight'))
})

test('an aggregate rule that does not exist is a coded error, and so is a worker label of its own', () => {
  const registry = new Registry()
  assert.throws(
    () => registry.gauge({ name: 'g', help: 'x', aggregate: 'avg' as never }),
    (error: Error & { code?: string }) => error.code === 'SIGHTLINE_ERR_METRIC_CONFIG',
  )
  assert.throws(
    () => registry.gauge({ name: 'h', help: 'x', labelNames: ['worker'], aggregate: 'worker' }),
    (error: Error & { code?: string }) => error.code === 'SIGHTLINE_ERR_METRIC_CONFIG',
  )
})
