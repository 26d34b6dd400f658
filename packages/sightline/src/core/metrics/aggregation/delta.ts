/**
 * @module delta
 * Snapshots as sent between processes: a metric whose series are all as they were in the sender's
 * previous snapshot to the same receiver goes as its name alone, and the receiver takes it from the
 * snapshot it kept. A registry of thousands of series that rarely move (one series per item, per
 * tenant, per build) then costs its sender a comparison per scrape, not a serialisation, and its
 * receiver nothing: the merged metric and its text are reused while no input changed (aggregator.ts).
 */
import type { HistogramSeries, MetricSnapshot, RegistrySnapshot, ScalarSeries } from './snapshot.js'
import { sameShape } from './snapshot.js'

/** A metric as it was in the sender's previous snapshot to this receiver. */
export interface UnchangedMetric {
  name: string
  unchanged: true
}

/** What crosses the channel: metrics, or the names of those unchanged since the previous one. */
export type WireSnapshot = (MetricSnapshot | UnchangedMetric)[]

function isUnchanged(metric: MetricSnapshot | UnchangedMetric): metric is UnchangedMetric {
  return (metric as UnchangedMetric).unchanged === true
}

/**
 * The sender's side, one per receiver: remembers what it last sent. The channels it is used on
 * (node:cluster IPC, a MessagePort) deliver in order and lose nothing while open, so the receiver
 * holds the same previous snapshot; when it does not, it asks for a full one.
 */
export class SnapshotSender {
  private previous = new Map<string, MetricSnapshot>()

  /** `snapshot` as sent: every metric when `full`, else the changed ones and the names of the rest. */
  encode(snapshot: RegistrySnapshot, full: boolean): WireSnapshot {
    const previous = this.previous
    const next = new Map<string, MetricSnapshot>()
    const out: WireSnapshot = []
    for (const metric of snapshot) {
      const before = full ? undefined : previous.get(metric.name)
      next.set(metric.name, metric)
      out.push(before !== undefined && sameMetric(before, metric) ? { name: metric.name, unchanged: true } : metric)
    }
    this.previous = next
    return out
  }
}

/**
 * The receiver's side: `wire` with each unchanged metric taken from `previous` (the same object,
 * so what was merged from it can be reused). Undefined when one is not there to take: the
 * receiver then asks for a full snapshot.
 */
export function resolveSnapshot(
  wire: WireSnapshot,
  previous: RegistrySnapshot | undefined,
): RegistrySnapshot | undefined {
  let byName: Map<string, MetricSnapshot> | undefined
  const out: RegistrySnapshot = []
  for (const metric of wire) {
    if (!isUnchanged(metric)) {
      out.push(metric)
      continue
    }
    if (previous === undefined) return undefined
    byName ??= new Map(previous.map((one) => [one.name, one]))
    const kept = byName.get(metric.name)
    if (kept === undefined) return undefined
    out.push(kept)
  }
  return out
}

function sameMetric(a: MetricSnapshot, b: MetricSnapshot): boolean {
  // An aggregating worker passes on the merged metric its aggregator kept, unchanged, as is.
  if (a === b) return true
  if (a.help !== b.help || a.series.length !== b.series.length || !sameShape(a, b)) return false
  if (a.type === 'histogram') {
    const x = a.series as HistogramSeries[]
    const y = b.series as HistogramSeries[]
    for (let i = 0; i < x.length; i++)
      if (!sameHistogram(x[i] as HistogramSeries, y[i] as HistogramSeries)) return false
    return true
  }
  const x = a.series as ScalarSeries[]
  const y = b.series as ScalarSeries[]
  for (let i = 0; i < x.length; i++) {
    const p = x[i] as ScalarSeries
    const q = y[i] as ScalarSeries
    if (p[1] !== q[1] || p[0] !== q[0] || p[2] !== q[2]) return false
  }
  return true
}

function sameHistogram(a: HistogramSeries, b: HistogramSeries): boolean {
  if (a[3] !== b[3] || a[2] !== b[2] || a[0] !== b[0] || a[1].length !== b[1].length || a[4].length !== b[4].length)
    return false
  for (let i = 0; i < a[1].length; i++) if (a[1][i] !== b[1][i]) return false
  for (let i = 0; i < a[4].length; i++) {
    const e = a[4][i] as HistogramSeries[4][number]
    const f = b[4][i] as HistogramSeries[4][number]
    if (e[0] !== f[0] || e[1] !== f[1] || e[2] !== f[2] || e[3] !== f[3] || e[4] !== f[4]) return false
  }
  return true
}
