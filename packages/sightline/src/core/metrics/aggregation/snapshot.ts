/**
 * @module snapshot
 * The compact, structured form of a registry that processes and threads send each other to be
 * summed (never the text exposition parsed back): one entry per metric, its series as tuples
 * keyed by their rendered label string. Plain arrays and numbers, so it crosses node:cluster's JSON
 * IPC and worker_threads' structured clone alike.
 */
import type { MetricType } from '../metric.js'

/**
 * How a gauge's series from several processes become one: `sum` (the default: in-flight requests,
 * connections, bytes), `max` or `min` (a worst case, a start time, a 0/1 flag), or `worker`
 * (one series per process, with a `worker` label naming it).
 */
export type GaugeAggregate = 'sum' | 'max' | 'min' | 'worker'

export const GAUGE_AGGREGATES: readonly GaugeAggregate[] = ['sum', 'max', 'min', 'worker']

/** The label a `worker`-aggregated gauge gets, naming the process (or thread) of each series. */
export const LABEL_WORKER = 'worker'

/** A counter's or gauge's series: its label string, its value, and (aggregated gauges) its worker. */
export type ScalarSeries = [labels: string, value: number, worker?: string]

/** A bucket's exemplar: bucket index, trace id, span id (or null), value, time in ms. */
export type ExemplarTuple = [bucket: number, traceId: string, spanId: string | null, value: number, timeMs: number]

/** A histogram's series: label string, non-cumulative bucket counts (last is +Inf), sum, count, exemplars. */
export type HistogramSeries = [labels: string, counts: number[], sum: number, count: number, exemplars: ExemplarTuple[]]

export interface MetricSnapshot {
  name: string
  help: string
  type: MetricType
  labelNames: readonly string[]
  /** Gauges only. */
  aggregate?: GaugeAggregate
  /** Histograms only: the upper bounds. */
  bounds?: readonly number[]
  series: ScalarSeries[] | HistogramSeries[]
}

/** What a process or thread answers when asked for its metrics. */
export type RegistrySnapshot = MetricSnapshot[]

/** Whether two snapshots of one name describe the same metric (so their series can be summed). */
export function sameShape(a: MetricSnapshot, b: MetricSnapshot): boolean {
  return (
    a.type === b.type &&
    sameList(a.labelNames, b.labelNames) &&
    (a.type !== 'histogram' || sameList(a.bounds ?? [], b.bounds ?? [])) &&
    (a.type !== 'gauge' || (a.aggregate ?? 'sum') === (b.aggregate ?? 'sum'))
  )
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i])
}
