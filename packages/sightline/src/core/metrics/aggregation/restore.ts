/**
 * @module restore
 * Turns a merged snapshot back into counters, gauges and histograms, so the sum of several
 * processes is rendered by the same exposition code as one process' registry (Prometheus text
 * and OpenMetrics with exemplars alike).
 */
import { Counter } from '../counter.js'
import { Gauge } from '../gauge.js'
import { Histogram } from '../histogram.js'
import { OVERFLOW_LABELS } from '../metric.js'
import { escapeLabelValue } from '../validation.js'
import { type HistogramSeries, LABEL_WORKER, type MetricSnapshot, type ScalarSeries } from './snapshot.js'

const UNCAPPED = Number.POSITIVE_INFINITY
const NEVER_DROPPED = (): void => {}

/**
 * A metric holding `snapshot`'s series, for rendering only. `self` names this process in the
 * `worker` label of gauges aggregated by worker.
 */
export function restore(snapshot: MetricSnapshot, self: string): Counter | Gauge | Histogram {
  const { name, help } = snapshot
  if (snapshot.type === 'histogram') {
    const metric = new Histogram(
      { name, help, labelNames: snapshot.labelNames, buckets: snapshot.bounds },
      UNCAPPED,
      NEVER_DROPPED,
    )
    for (const [labels, counts, sum, count, exemplars] of snapshot.series as HistogramSeries[]) {
      const child = metric.seriesAt(labels)
      child.counts.set(counts)
      child.sum = sum
      child.count = count
      if (exemplars.length === 0) continue
      child.exemplars = new Array(counts.length)
      for (const [bucket, traceId, spanId, value, timeMs] of exemplars)
        child.exemplars[bucket] = { traceId, spanId: spanId ?? undefined, value, timeMs }
    }
    return metric
  }
  if (snapshot.type === 'counter') {
    const metric = new Counter({ name, help, labelNames: snapshot.labelNames }, UNCAPPED, NEVER_DROPPED)
    for (const [labels, value] of snapshot.series as ScalarSeries[]) metric.seriesAt(labels).value = value
    return metric
  }
  const byWorker = snapshot.aggregate === 'worker'
  const labelNames = byWorker ? [LABEL_WORKER, ...snapshot.labelNames] : snapshot.labelNames
  const metric = new Gauge({ name, help, labelNames }, UNCAPPED, NEVER_DROPPED)
  for (const [labels, value, worker] of snapshot.series as ScalarSeries[]) {
    const withWorker =
      !byWorker || labels === OVERFLOW_LABELS
        ? labels
        : `${LABEL_WORKER}="${escapeLabelValue(worker ?? self)}"${labels === '' ? '' : `,${labels}`}`
    metric.seriesAt(withWorker).value = value
  }
  return metric
}

/**
 * The exposition of merged metrics, kept per merged object: the aggregator hands back the same
 * object while none of a metric's inputs changed, and its text is then not made again.
 */
export class MergedText {
  private readonly texts = new WeakMap<MetricSnapshot, [text: string | undefined, openMetrics: string | undefined]>()
  private readonly self: string

  /** `self` names this process in the `worker` label of gauges aggregated by worker. */
  constructor(self: string) {
    this.self = self
  }

  render(metric: MetricSnapshot, openMetrics: boolean): string {
    let kept = this.texts.get(metric)
    if (kept === undefined) {
      kept = [undefined, undefined]
      this.texts.set(metric, kept)
    }
    const at = openMetrics ? 1 : 0
    const text = kept[at] ?? restore(metric, this.self).render(openMetrics)
    kept[at] = text
    return text
  }
}
