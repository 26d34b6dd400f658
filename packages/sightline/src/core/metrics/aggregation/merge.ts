/**
 * @module merge
 * Sums snapshots of several registries into one: counters and histogram buckets added, gauges by
 * their `aggregate` rule, each bucket's latest exemplar kept, and the per-metric series cap held
 * after merging (series past it go to the overflow series, as in one process).
 */
import { OVERFLOW_LABELS } from '../metric.js'
import {
  type ExemplarTuple,
  type HistogramSeries,
  type MetricSnapshot,
  type RegistrySnapshot,
  type ScalarSeries,
  sameShape,
} from './snapshot.js'

const KEY_SEPARATOR = '\u0001'

/**
 * Which series of a counter or histogram have a place of their own under the cap, kept across
 * scrapes: a series summed into the overflow series in one scrape and apart in the next would
 * make the overflow series go down. Bounded: at most the cap per metric.
 */
export class SeriesCaps {
  readonly max: number
  private readonly admitted = new Map<string, Set<string>>()

  constructor(max: number) {
    this.max = max
  }

  /** Whether the series `key` of a counter or histogram keeps its own place. */
  admit(metric: string, key: string): boolean {
    let set = this.admitted.get(metric)
    if (set === undefined) {
      set = new Set()
      this.admitted.set(metric, set)
    }
    if (set.has(key)) return true
    if (set.size >= this.max) return false
    set.add(key)
    return true
  }
}

interface MetricAcc {
  def: MetricSnapshot
  scalars: Map<string, ScalarSeries>
  histograms: Map<string, HistogramSeries>
}

/** `outer/inner`: the worker a series comes from, through each level of aggregation. */
function workerOf(outer: string | undefined, inner: string | undefined): string | undefined {
  if (outer === undefined) return inner
  return inner === undefined ? outer : `${outer}/${inner}`
}

export class Accumulator {
  private readonly metrics = new Map<string, MetricAcc>()
  private readonly caps: SeriesCaps
  private readonly onConflict: (metric: string, worker: string | undefined) => void

  constructor(caps: SeriesCaps, onConflict: (metric: string, worker: string | undefined) => void) {
    this.caps = caps
    this.onConflict = onConflict
  }

  /**
   * Adds one registry's snapshot. `worker` names where it comes from (undefined: this process);
   * `monotonicOnly` keeps counters and histograms only (what a process that exited leaves behind).
   */
  add(snapshot: RegistrySnapshot, worker: string | undefined, monotonicOnly = false): void {
    for (const metric of snapshot) {
      if (monotonicOnly && metric.type === 'gauge') continue
      let acc = this.metrics.get(metric.name)
      if (acc === undefined) {
        const { series: _series, ...def } = metric
        acc = { def: { ...def, series: [] }, scalars: new Map(), histograms: new Map() }
        this.metrics.set(metric.name, acc)
      } else if (!sameShape(acc.def, metric)) {
        this.onConflict(metric.name, worker)
        continue
      }
      if (metric.type === 'histogram') this.addHistograms(acc, metric.series as HistogramSeries[])
      else this.addScalars(acc, metric.series as ScalarSeries[], worker)
    }
  }

  /** The merged registry, in the order metrics were first seen. */
  result(): RegistrySnapshot {
    const out: RegistrySnapshot = []
    for (const acc of this.metrics.values()) {
      const series = acc.def.type === 'histogram' ? [...acc.histograms.values()] : [...acc.scalars.values()]
      out.push({ ...acc.def, series } as MetricSnapshot)
    }
    return out
  }

  private addScalars(acc: MetricAcc, series: ScalarSeries[], worker: string | undefined): void {
    const def = acc.def
    const rule = def.type === 'counter' ? 'sum' : (def.aggregate ?? 'sum')
    const byWorker = rule === 'worker'
    for (const [labels, value, inner] of series) {
      const from = byWorker ? workerOf(worker, inner) : undefined
      let key = from === undefined ? labels : `${from}${KEY_SEPARATOR}${labels}`
      let existing = acc.scalars.get(key)
      if (existing === undefined) {
        const admitted = def.type === 'counter' ? this.caps.admit(def.name, key) : acc.scalars.size < this.caps.max
        if (admitted) {
          acc.scalars.set(key, from === undefined ? [labels, value] : [labels, value, from])
          continue
        }
        key = OVERFLOW_LABELS
        existing = acc.scalars.get(key)
        if (existing === undefined) {
          acc.scalars.set(key, [OVERFLOW_LABELS, value])
          continue
        }
        // Past the cap every rule sums: the overflow series stands for many series at once.
        existing[1] += value
        continue
      }
      if (rule === 'max') existing[1] = Math.max(existing[1], value)
      else if (rule === 'min') existing[1] = Math.min(existing[1], value)
      else existing[1] += value
    }
  }

  private addHistograms(acc: MetricAcc, series: HistogramSeries[]): void {
    const name = acc.def.name
    for (const one of series) {
      let key = one[0]
      if (!acc.histograms.has(key) && !this.caps.admit(name, key)) key = OVERFLOW_LABELS
      const existing = acc.histograms.get(key)
      if (existing === undefined) {
        // Copied: a source's snapshot is kept and merged again at the next scrape.
        acc.histograms.set(key, [key, [...one[1]], one[2], one[3], [...one[4]]])
        continue
      }
      const counts = existing[1]
      const add = one[1]
      for (let i = 0; i < counts.length; i++) counts[i] = (counts[i] as number) + (add[i] ?? 0)
      existing[2] += one[2]
      existing[3] += one[3]
      existing[4] = latestExemplars(existing[4], one[4])
    }
  }
}

/** Each bucket's most recent exemplar of the two lists. */
function latestExemplars(a: ExemplarTuple[], b: ExemplarTuple[]): ExemplarTuple[] {
  if (b.length === 0) return a
  if (a.length === 0) return [...b]
  const byBucket = new Map<number, ExemplarTuple>()
  for (const e of a) byBucket.set(e[0], e)
  for (const e of b) {
    const kept = byBucket.get(e[0])
    if (kept === undefined || e[4] > kept[4]) byBucket.set(e[0], e)
  }
  return [...byBucket.values()].sort((x, y) => x[0] - y[0])
}
