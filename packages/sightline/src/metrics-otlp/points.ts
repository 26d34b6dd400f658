/**
 * @module metrics-otlp/points
 * Reads the registry's metrics into one export's data points, in the temporality asked for.
 *
 * Cumulative: every series as `/metrics` shows it, from the process's start. Delta (and
 * `lowmemory`, the same here: the registry does not tell a counter a collector refreshes from one
 * counted in place, so all are taken as synchronous; gauges are gauges either way): what each counter and histogram series gained
 * since the previous collection, from that collection's time; a series that gained nothing is left
 * out, as an OpenTelemetry SDK's delta reader does. The previous values advance at every
 * collection, whether or not its request is then delivered: a request that fails or is dropped
 * loses its interval's increments, counted in `sightline_metric_points_dropped_total`, and the
 * next one never counts them twice. What is kept per series lives in a WeakMap on the series
 * itself, so a removed series takes its state with it.
 */

import type { Counter } from '../core/metrics/counter.js'
import type { Gauge } from '../core/metrics/gauge.js'
import type { Exemplar, Histogram, HistogramChild } from '../core/metrics/histogram.js'
import { OVERFLOW_LABELS, type ScalarChild } from '../core/metrics/metric.js'
import type { AnyMetric } from '../core/metrics/registry.js'
import {
  type ExemplarPoint,
  type ExportMetric,
  type HistogramPoint,
  type NumberPoint,
  type OtlpAttribute,
  TEMPORALITY_CUMULATIVE,
  TEMPORALITY_DELTA,
} from './model.js'
import { otlpAttributeKeys, otlpName } from './names.js'

export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory'

/** The attribute of the series a metric past its series cap records into (OpenTelemetry's overflow attribute). */
const OVERFLOW_ATTRIBUTES: readonly OtlpAttribute[] = [{ key: 'otel.metric.overflow', value: true }]
const NO_EXEMPLARS: readonly ExemplarPoint[] = []

interface HistogramState {
  counts: Float64Array
  sum: number
  count: number
}

export class PointBuilder {
  private readonly delta: boolean
  /** Where the current interval starts: the process's start, then each collection's time (delta). */
  private intervalStartMs: number
  private readonly lastValues = new WeakMap<ScalarChild, number>()
  private readonly lastHistograms = new WeakMap<HistogramChild, HistogramState>()
  /** Attribute lists per series, built once. */
  private readonly attributeCache = new WeakMap<object, readonly OtlpAttribute[]>()

  constructor(preference: TemporalityPreference, processStartMs: number) {
    this.delta = preference !== 'cumulative'
    this.intervalStartMs = processStartMs
  }

  /** The data points of `metrics` at `nowMs`; metrics with no point (delta, nothing new) are left out. */
  build(metrics: readonly AnyMetric[], nowMs: number): ExportMetric[] {
    const out: ExportMetric[] = []
    const startMs = this.intervalStartMs
    for (const metric of metrics) {
      const built =
        metric.type === 'counter'
          ? this.sum(metric, startMs, nowMs)
          : metric.type === 'gauge'
            ? this.gauge(metric, nowMs)
            : this.histogram(metric, startMs, nowMs)
      if (built.points.length > 0) out.push(built)
    }
    if (this.delta) this.intervalStartMs = nowMs
    return out
  }

  /** How many data points a built export holds (what a lost export is counted as). */
  static pointsOf(metrics: readonly ExportMetric[]): number {
    let points = 0
    for (const metric of metrics) points += metric.points.length
    return points
  }

  private sum(metric: Counter, startMs: number, nowMs: number): ExportMetric {
    const { name, unit } = otlpName(metric.name)
    const keys = otlpAttributeKeys(metric.name, metric.labelNames)
    const points: NumberPoint[] = []
    for (const child of metric.exportSeries()) {
      let value = child.value
      if (this.delta) {
        const last = this.lastValues.get(child) ?? 0
        this.lastValues.set(child, value)
        // A value below the last one was reset (`reset()`, then counted again): all of it is new.
        value = value >= last ? value - last : value
        if (value === 0) continue
      }
      points.push({ attributes: this.attributes(child, keys), startMs, timeMs: nowMs, value })
    }
    return {
      kind: 'sum',
      name,
      unit,
      description: metric.help,
      temporality: this.delta ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE,
      points,
    }
  }

  private gauge(metric: Gauge, nowMs: number): ExportMetric {
    const { name, unit } = otlpName(metric.name)
    const keys = otlpAttributeKeys(metric.name, metric.labelNames)
    const points: NumberPoint[] = []
    for (const child of metric.exportSeries()) {
      points.push({ attributes: this.attributes(child, keys), startMs: nowMs, timeMs: nowMs, value: child.value })
    }
    return { kind: 'gauge', name, unit, description: metric.help, points }
  }

  private histogram(metric: Histogram, startMs: number, nowMs: number): ExportMetric {
    const { name, unit } = otlpName(metric.name)
    const keys = otlpAttributeKeys(metric.name, metric.labelNames)
    const points: HistogramPoint[] = []
    for (const child of metric.exportSeries()) {
      let counts: ArrayLike<number> = child.counts
      let sum = child.sum
      let count = child.count
      if (this.delta) {
        const last = this.lastHistograms.get(child)
        if (last === undefined) {
          this.lastHistograms.set(child, { counts: Float64Array.from(child.counts), sum, count })
        } else if (count >= last.count) {
          const diff = new Float64Array(child.counts.length)
          for (let i = 0; i < diff.length; i++) diff[i] = (child.counts[i] as number) - (last.counts[i] as number)
          counts = diff
          sum -= last.sum
          count -= last.count
          last.counts.set(child.counts)
          last.sum = child.sum
          last.count = child.count
        } else {
          last.counts.set(child.counts)
          last.sum = sum
          last.count = count
        }
        if (count === 0) continue
      } else {
        counts = Float64Array.from(child.counts)
      }
      points.push({
        attributes: this.attributes(child, keys),
        startMs,
        timeMs: nowMs,
        count,
        sum,
        bucketCounts: counts,
        bounds: metric.bounds,
        exemplars: exemplarsOf(child.exemplars, this.delta ? startMs : Number.NEGATIVE_INFINITY),
      })
    }
    return {
      kind: 'histogram',
      name,
      unit,
      description: metric.help,
      temporality: this.delta ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE,
      points,
    }
  }

  private attributes(
    child: { labelString: string; labelValues: readonly (string | number)[] },
    keys: readonly string[],
  ): readonly OtlpAttribute[] {
    let attributes = this.attributeCache.get(child)
    if (attributes === undefined) {
      if (child.labelString === OVERFLOW_LABELS && child.labelValues.length === 0 && keys.length > 0) {
        attributes = OVERFLOW_ATTRIBUTES
      } else {
        const list: OtlpAttribute[] = []
        for (let i = 0; i < keys.length; i++) {
          list.push({ key: keys[i] as string, value: child.labelValues[i] as string | number })
        }
        attributes = list
      }
      this.attributeCache.set(child, attributes)
    }
    return attributes
  }
}

/** A series' bucket exemplars recorded after `sinceMs` (each bucket keeps its latest). */
function exemplarsOf(
  exemplars: readonly (Exemplar | undefined)[] | undefined,
  sinceMs: number,
): readonly ExemplarPoint[] {
  if (exemplars === undefined) return NO_EXEMPLARS
  const out: ExemplarPoint[] = []
  for (const exemplar of exemplars) {
    if (exemplar === undefined || exemplar.timeMs < sinceMs) continue
    out.push({ traceId: exemplar.traceId, spanId: exemplar.spanId, value: exemplar.value, timeMs: exemplar.timeMs })
  }
  return out
}
