/**
 * @module histogram
 * Cumulative-bucket histograms in seconds, with OpenMetrics exemplars that link a bucket to a trace.
 */
import { performance } from 'node:perf_hooks'
import { SightlineError } from '../errors.js'
import type { ExemplarTuple, HistogramSeries, MetricSnapshot } from './aggregation/snapshot.js'
import { braces, type Labels, type LabelValue, Metric, type MetricConfig, type OnSeriesDropped } from './metric.js'
import { escapeHelp, escapeLabelValue, formatValue } from './validation.js'

/** OpenMetrics caps an exemplar's label set at 128 UTF-8 characters (names and values together). */
const MAX_EXEMPLAR_RUNES = 128

/**
 * A bucket's latest exemplar: the ids as they came, turned into a label set only when a scrape
 * asks for OpenMetrics (a scrape every 15 s, against one sampled request after another). One
 * object per bucket, updated in place.
 */
export interface Exemplar {
  traceId: string
  spanId: string | undefined
  value: number
  /** `Date.now()` when it was recorded. */
  timeMs: number
}

/**
 * The trace fields (`trace_id`, `span_id`, `trace_flags`) of where an observation is made, or
 * undefined: set by the instance's tracing, so any histogram observed inside a sampled span gets
 * the span as its bucket's exemplar.
 */
export type ExemplarSource = () => Readonly<Record<string, string>> | undefined

/** What a registry's histograms share: where exemplars come from, and where refused values are told. */
export interface HistogramSinks {
  exemplars: ExemplarSource | undefined
  /** A value that is not a finite number was refused (it would poison `_sum`). */
  rejected(metric: string): void
}

const NO_SINKS: HistogramSinks = { exemplars: undefined, rejected: () => {} }

export class HistogramChild {
  readonly labelString: string
  /** The label values in the metric's `labelNames` order (empty for the overflow series). */
  readonly labelValues: readonly LabelValue[]
  readonly bounds: readonly number[]
  /** Non-cumulative counts per bucket; the last slot is +Inf. Cumulated at scrape time. */
  readonly counts: Float64Array
  sum = 0
  count = 0
  exemplars: (Exemplar | undefined)[] | undefined = undefined

  private readonly sinks: HistogramSinks
  private readonly metric: string

  constructor(
    labelString: string,
    bounds: readonly number[],
    sinks: HistogramSinks = NO_SINKS,
    metric = '',
    labelValues: readonly LabelValue[] = [],
  ) {
    this.labelString = labelString
    this.labelValues = labelValues
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
    this.sinks = sinks
    this.metric = metric
  }

  /**
   * Records one value; inside a sampled span, the span becomes its bucket's exemplar. A value
   * that is not a finite number is refused and counted.
   */
  observe(value: number): void {
    const source = this.sinks.exemplars
    const fields = source === undefined ? undefined : source()
    if (fields === undefined || fields.trace_flags !== '01') this.observeOnly(value)
    else this.observeWithExemplar(value, fields.trace_id as string, fields.span_id)
  }

  /** Records one value without looking for an exemplar (the pipeline's path: it knows its request's). */
  observeOnly(value: number): void {
    if (!Number.isFinite(value)) {
      this.sinks.rejected(this.metric)
      return
    }
    this.record(value)
  }

  /**
   * Records one value and keeps `trace_id` (and `span_id`) as the bucket's exemplar. An exemplar
   * longer than OpenMetrics allows is dropped, never thrown (prom-client throws `RangeError`).
   */
  observeWithExemplar(value: number, traceId: string, spanId?: string): void {
    if (!Number.isFinite(value)) {
      this.sinks.rejected(this.metric)
      return
    }
    const i = this.record(value)
    const runes = 8 + traceId.length + (spanId === undefined ? 0 : 7 + spanId.length)
    if (runes > MAX_EXEMPLAR_RUNES) return
    if (this.exemplars === undefined) this.exemplars = new Array(this.bounds.length + 1)
    const exemplar = this.exemplars[i]
    if (exemplar === undefined) {
      this.exemplars[i] = { traceId, spanId, value, timeMs: Date.now() }
      return
    }
    exemplar.traceId = traceId
    exemplar.spanId = spanId
    exemplar.value = value
    exemplar.timeMs = Date.now()
  }

  /** Counts `value` in its bucket (Prometheus' `le`: the first bound ≥ value) and returns the bucket. */
  private record(value: number): number {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    ;(this.counts[i] as number)++
    this.sum += value
    this.count++
    return i
  }

  /** Starts a timer; the returned function records the elapsed seconds and returns them. */
  startTimer(): () => number {
    const start = performance.now()
    return () => {
      const seconds = (performance.now() - start) / 1000
      this.observe(seconds)
      return seconds
    }
  }
}

export interface HistogramConfig extends MetricConfig {
  /** Upper bounds in seconds (or the metric's unit), ascending. */
  buckets?: readonly number[]
}

/** Prometheus' classic default buckets, for custom histograms that don't name theirs. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/**
 * @example
 * const payment = metrics.histogram({ name: 'app_payment_duration_seconds', help: 'Payment time', buckets: [0.1, 0.5, 1, 2, 5] })
 * await payment.time(() => charge(card))
 */
export class Histogram extends Metric<HistogramChild> {
  readonly type = 'histogram'
  readonly bounds: readonly number[]
  private readonly leText: string[]
  private readonly leOpenMetrics: string[]

  private readonly sinks: HistogramSinks

  constructor(
    config: HistogramConfig,
    maxSeries: number,
    onDropped: OnSeriesDropped,
    sinks: HistogramSinks = NO_SINKS,
  ) {
    super(config, maxSeries, onDropped)
    this.sinks = sinks
    const bounds = [...(config.buckets ?? DEFAULT_BUCKETS)]
    for (let i = 0; i < bounds.length; i++) {
      const bound = bounds[i] as number
      if (!Number.isFinite(bound) || (i > 0 && bound <= (bounds[i - 1] as number))) {
        throw new SightlineError(
          'SIGHTLINE_ERR_METRIC_CONFIG',
          `buckets of ${config.name} must be finite and ascending`,
        )
      }
    }
    this.bounds = bounds
    this.leText = [...bounds.map((b) => `le="${b}"`), 'le="+Inf"']
    // OpenMetrics wants canonical floats: 1 renders as 1.0.
    this.leOpenMetrics = [...bounds.map((b) => `le="${Number.isInteger(b) ? b.toFixed(1) : b}"`), 'le="+Inf"']
  }

  protected createChild(labelString: string, labelValues: readonly LabelValue[]): HistogramChild {
    return new HistogramChild(labelString, this.bounds, this.sinks, this.name, labelValues)
  }

  observe(labels: Labels | number, value?: number): void {
    if (typeof labels === 'number') this.resolve(undefined).observe(labels)
    else this.resolve(labels).observe(value ?? 0)
  }

  /** Starts a timer; call the result (optionally with labels) to record the elapsed seconds. */
  startTimer(labels?: Labels): (endLabels?: Labels) => number {
    const start = performance.now()
    return (endLabels?: Labels) => {
      const seconds = (performance.now() - start) / 1000
      this.resolve(endLabels === undefined ? labels : { ...labels, ...endLabels }).observe(seconds)
      return seconds
    }
  }

  /**
   * Times a function or the promise it returns (the brief's `@payment_duration.time()`). The
   * duration is recorded whether it returns or throws.
   */
  time<T>(fn: () => T, labels?: Labels): T {
    const end = this.startTimer(labels)
    let result: T
    try {
      result = fn()
    } catch (error) {
      end()
      throw error
    }
    if (result instanceof Promise) {
      return result.finally(() => end()) as T
    }
    end()
    return result
  }

  snapshot(): MetricSnapshot {
    const series: HistogramSeries[] = this.allSeries().map((child) => {
      const exemplars: ExemplarTuple[] = []
      const kept = child.exemplars
      if (kept !== undefined)
        for (let i = 0; i < kept.length; i++) {
          const e = kept[i]
          if (e !== undefined) exemplars.push([i, e.traceId, e.spanId ?? null, e.value, e.timeMs])
        }
      return [child.labelString, Array.from(child.counts), child.sum, child.count, exemplars]
    })
    const { name, help, labelNames, bounds } = this
    return { name, help, type: 'histogram', labelNames, bounds, series }
  }

  render(openMetrics: boolean): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} histogram\n`
    if (this.labelNames.length === 0 && this.children.size === 0) this.labels()
    const le = openMetrics ? this.leOpenMetrics : this.leText
    const bucket = `${this.name}_bucket`
    for (const child of this.series()) {
      const counts = child.counts
      const exemplars = openMetrics ? child.exemplars : undefined
      let cumulative = 0
      for (let i = 0; i < counts.length; i++) {
        cumulative += counts[i] as number
        out += `${bucket}${braces(child.labelString, le[i])} ${cumulative}`
        const exemplar = exemplars?.[i]
        if (exemplar !== undefined)
          out += ` # {${exemplarLabels(exemplar)}} ${formatValue(exemplar.value)} ${exemplar.timeMs / 1000}`
        out += '\n'
      }
      const labels = braces(child.labelString)
      out += `${this.name}_sum${labels} ${formatValue(child.sum)}\n${this.name}_count${labels} ${child.count}\n`
    }
    return out
  }
}

/** An exemplar's OpenMetrics label set: `trace_id` and, when known, `span_id`. */
function exemplarLabels(exemplar: Exemplar): string {
  const traceId = `trace_id="${escapeLabelValue(exemplar.traceId)}"`
  return exemplar.spanId === undefined ? traceId : `${traceId},span_id="${escapeLabelValue(exemplar.spanId)}"`
}
