/**
 * @module viewer/metrics-view
 * What the metrics page shows, computed from the kept metric points: the list of metrics, and for
 * one metric its series grouped by an attribute. Counters (monotonic sums) become rates: a
 * cumulative point's increase over the previous point of its series (a drop, or a new start time,
 * is a reset: the new value is the increase), a delta point's value over its interval. Gauges and
 * non-monotonic sums are shown as they are. Explicit-bucket histograms become p50/p95/p99 from the
 * bucket counts that arrived in each step (cumulative ones differenced like counters), linearly
 * interpolated inside the bucket, as Prometheus' `histogram_quantile` does. Series of a group are
 * summed (`sum by (attribute)`).
 */

import { TEMPORALITY_DELTA, type ViewerMetricPoint } from './model.js'
import { seriesKey } from './store.js'

/** Points are gathered into steps of this length for the charts. */
export const STEP_MS = 10_000
/** Groups shown for one metric: those with the largest totals. */
const MAX_GROUPS = 20

export interface MetricInfo {
  service: string
  name: string
  type: string
  unit: string
  /** rate (counters), gauge (gauges and up-down sums) or histogram. */
  kind: 'rate' | 'gauge' | 'histogram' | 'summary'
  series: number
  attributeKeys: string[]
  lastMs: number
}

export interface MetricGroup {
  /** The grouping attribute's value (`''` when the series lack it), or `all`. */
  key: string
  t: number[]
  /** Rate per second (counters), value (gauges), or observations per second (histograms). */
  values: number[]
  p50?: number[]
  p95?: number[]
  p99?: number[]
  /** Counters: the increase over the kept points, the first point's value since its start included. */
  total?: number
  /** Gauges: the sum of the series' latest values. */
  latest?: number
  /** Histograms: observations and their sum over the kept points, and percentiles over all of them. */
  count?: number
  sum?: number
  quantiles?: { p50: number; p95: number; p99: number }
}

export interface MetricView {
  service: string
  name: string
  type: string
  unit: string
  kind: MetricInfo['kind']
  by: string
  attributeKeys: string[]
  groups: MetricGroup[]
}

function kindOf(point: ViewerMetricPoint): MetricInfo['kind'] {
  if (point.type === 'sum') return point.monotonic === true ? 'rate' : 'gauge'
  if (point.type === 'gauge') return 'gauge'
  if (point.type === 'summary') return 'summary'
  return 'histogram'
}

/** The metrics with kept points, by service and name. */
export function metricCatalog(points: readonly ViewerMetricPoint[]): MetricInfo[] {
  const byName = new Map<string, MetricInfo & { keys: Set<string>; seriesKeys: Set<string> }>()
  for (const point of points) {
    const id = `${point.service}\u0000${point.name}`
    let info = byName.get(id)
    if (info === undefined) {
      info = {
        service: point.service,
        name: point.name,
        type: point.type,
        unit: point.unit,
        kind: kindOf(point),
        series: 0,
        attributeKeys: [],
        lastMs: 0,
        keys: new Set(),
        seriesKeys: new Set(),
      }
      byName.set(id, info)
    }
    for (const key of Object.keys(point.attributes)) info.keys.add(key)
    info.seriesKeys.add(seriesKey(point))
    info.lastMs = Math.max(info.lastMs, point.timeMs)
  }
  return [...byName.values()]
    .map(({ keys, seriesKeys, ...info }) => ({ ...info, series: seriesKeys.size, attributeKeys: [...keys].sort() }))
    .sort((a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name))
}

/** One series' contribution to a step. */
export interface Increment {
  t: number
  /** Counter increase, gauge value, or histogram observations. */
  value: number
  intervalMs: number
  sum: number
  bounds?: number[]
  buckets?: number[]
}

/** A counter's or histogram's increments, oldest first; a gauge's values. */
export function increments(points: readonly ViewerMetricPoint[], kind: MetricInfo['kind']): Increment[] {
  const out: Increment[] = []
  let previous: ViewerMetricPoint | undefined
  for (const point of points) {
    if (kind === 'gauge' || kind === 'summary') {
      out.push({
        t: point.timeMs,
        value: kind === 'gauge' ? point.value : point.count,
        intervalMs: 0,
        sum: point.value,
      })
      previous = point
      continue
    }
    const delta = point.temporality === TEMPORALITY_DELTA
    const amount = kind === 'rate' ? point.value : point.count
    const prevAmount = previous === undefined ? 0 : kind === 'rate' ? previous.value : previous.count
    const reset =
      delta ||
      previous === undefined ||
      amount < prevAmount ||
      (point.startMs !== undefined && previous.startMs !== undefined && point.startMs !== previous.startMs)
    const since = reset ? (point.startMs ?? 0) : previous!.timeMs
    const intervalMs = since > 0 && since < point.timeMs ? point.timeMs - since : 0
    const increment: Increment = {
      t: point.timeMs,
      value: reset ? amount : amount - prevAmount,
      intervalMs,
      sum: reset || kind === 'rate' ? point.value : point.value - previous!.value,
    }
    if (kind === 'histogram' && point.bounds !== undefined && point.bucketCounts !== undefined) {
      const sameShape =
        !reset &&
        previous?.bucketCounts !== undefined &&
        previous.bounds !== undefined &&
        previous.bounds.length === point.bounds.length &&
        previous.bounds.every((b, i) => b === point.bounds![i])
      increment.bounds = point.bounds
      increment.buckets = sameShape
        ? point.bucketCounts.map((c, i) => Math.max(0, c - previous!.bucketCounts![i]!))
        : [...point.bucketCounts]
    }
    out.push(increment)
    previous = point
  }
  return out
}

/**
 * The `q` quantile of an explicit-bucket histogram, linearly interpolated in its bucket; the first
 * bucket starts at 0 (or its bound, when negative), the last (unbounded) one gives its lower bound.
 * @example bucketQuantile([10, 100], [5, 5, 0], 0.5) // 10
 */
export function bucketQuantile(bounds: readonly number[], counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0 || bounds.length === 0) return 0
  const rank = q * total
  let below = 0
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!
    if (below + count >= rank && count > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1]!
      const upper = bounds[i]!
      const lower = i === 0 ? Math.min(0, upper) : bounds[i - 1]!
      return lower + (upper - lower) * ((rank - below) / count)
    }
    below += count
  }
  return bounds[bounds.length - 1]!
}

interface Accumulator {
  steps: Map<number, { value: number; intervalSeconds: number; buckets?: number[] }>
  total: number
  latest: Map<string, number>
  count: number
  sum: number
  bounds?: number[]
  buckets?: number[]
}

function addBuckets(into: number[] | undefined, from: readonly number[]): number[] {
  if (into === undefined || into.length !== from.length) return [...from]
  for (let i = 0; i < from.length; i++) into[i]! += from[i]!
  return into
}

/**
 * One metric's series grouped by the attribute `by` (all together when empty).
 * @example metricView(store.allMetricPoints(), { service: 'api', name: 'http.server.request.duration', by: 'http.route' })
 */
export function metricView(
  points: readonly ViewerMetricPoint[],
  query: { service?: string; name: string; by?: string },
): MetricView | undefined {
  const mine = points.filter(
    (p) => p.name === query.name && (query.service === undefined || p.service === query.service),
  )
  if (mine.length === 0) return undefined
  const first = mine[0]!
  const kind = kindOf(first)
  const by = query.by ?? ''
  const series = new Map<string, ViewerMetricPoint[]>()
  const keys = new Set<string>()
  for (const point of mine) {
    for (const key of Object.keys(point.attributes)) keys.add(key)
    const id = seriesKey(point)
    const list = series.get(id)
    if (list === undefined) series.set(id, [point])
    else list.push(point)
  }
  const groups = new Map<string, Accumulator>()
  for (const [id, list] of series) {
    list.sort((a, b) => a.timeMs - b.timeMs)
    const key = by === '' ? 'all' : String(list[0]!.attributes[by] ?? '')
    let group = groups.get(key)
    if (group === undefined) {
      group = { steps: new Map(), total: 0, latest: new Map(), count: 0, sum: 0 }
      groups.set(key, group)
    }
    // One series' points per step: a gauge keeps its last value there, the others add up.
    const seriesSteps = new Map<number, { value: number; intervalSeconds: number; buckets?: number[] }>()
    for (const increment of increments(list, kind)) {
      const step = Math.floor(increment.t / STEP_MS) * STEP_MS
      const entry = seriesSteps.get(step) ?? { value: 0, intervalSeconds: 0 }
      if (kind === 'gauge') entry.value = increment.value
      else {
        entry.value += increment.value
        entry.intervalSeconds += increment.intervalMs / 1000
      }
      if (increment.buckets !== undefined) {
        entry.buckets = addBuckets(entry.buckets, increment.buckets)
        group.buckets = addBuckets(group.buckets, increment.buckets)
        group.bounds = increment.bounds
      }
      seriesSteps.set(step, entry)
      group.total += kind === 'gauge' ? 0 : increment.value
      group.count += kind === 'histogram' || kind === 'summary' ? increment.value : 0
      group.sum += kind === 'histogram' || kind === 'summary' ? increment.sum : 0
      if (kind === 'gauge') group.latest.set(id, increment.value)
    }
    for (const [step, entry] of seriesSteps) {
      const into = group.steps.get(step) ?? { value: 0, intervalSeconds: 0 }
      // Counters and histograms: per second over the series' own interval (the export interval).
      const perSecond =
        kind === 'gauge' ? entry.value : entry.intervalSeconds > 0 ? entry.value / entry.intervalSeconds : 0
      into.value += perSecond
      if (entry.buckets !== undefined) into.buckets = addBuckets(into.buckets, entry.buckets)
      group.steps.set(step, into)
    }
  }
  const ordered = [...groups.entries()].sort(
    (a, b) => (kind === 'gauge' ? 0 : b[1].total - a[1].total) || a[0].localeCompare(b[0]),
  )
  const view: MetricView = {
    service: first.service,
    name: first.name,
    type: first.type,
    unit: first.unit,
    kind,
    by,
    attributeKeys: [...keys].sort(),
    groups: [],
  }
  for (const [key, group] of ordered.slice(0, MAX_GROUPS)) view.groups.push(groupOf(key, group, kind))
  return view
}

function groupOf(key: string, group: Accumulator, kind: MetricInfo['kind']): MetricGroup {
  const steps = [...group.steps.entries()].sort((a, b) => a[0] - b[0])
  const out: MetricGroup = { key, t: steps.map(([t]) => t), values: steps.map(([, s]) => s.value) }
  if (kind === 'rate') out.total = group.total
  if (kind === 'gauge') out.latest = [...group.latest.values()].reduce((a, b) => a + b, 0)
  if (kind === 'histogram' || kind === 'summary') {
    out.count = group.count
    out.sum = group.sum
  }
  if (kind === 'histogram' && group.bounds !== undefined) {
    const bounds = group.bounds
    // A step without observations has no percentile (NaN, null in JSON): the chart leaves a gap.
    const quantiles = (q: number) =>
      steps.map(([, s]) =>
        s.buckets === undefined || s.buckets.every((c) => c === 0) ? Number.NaN : bucketQuantile(bounds, s.buckets, q),
      )
    out.p50 = quantiles(0.5)
    out.p95 = quantiles(0.95)
    out.p99 = quantiles(0.99)
    const all = group.buckets ?? []
    out.quantiles = {
      p50: bucketQuantile(bounds, all, 0.5),
      p95: bucketQuantile(bounds, all, 0.95),
      p99: bucketQuantile(bounds, all, 0.99),
    }
  }
  return out
}
