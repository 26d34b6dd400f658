/**
 * @module metric
 * What counters, gauges and histograms share: label handling, cached children, the series cap.
 */
import { SightlineError } from '../errors.js'
import type { MetricSnapshot } from './aggregation/snapshot.js'
import { assertLabelNames, assertMetricName, escapeLabelValue, formatValue } from './validation.js'

export type LabelValue = string | number
export type Labels = Readonly<Record<string, LabelValue>>
export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface MetricConfig {
  /** Prometheus name, e.g. `app_user_signups_total`. */
  name: string
  help: string
  labelNames?: readonly string[]
}

/**
 * Called when a new series would pass the per-metric cap; the observation goes to the overflow
 * series instead.
 */
export type OnSeriesDropped = (metric: string) => void

/**
 * The labels of the one series a metric past its cap records into (OpenTelemetry's
 * `otel.metric.overflow` attribute, alone): refused label sets are not lost, so sums over the
 * metric still equal what was observed.
 */
export const OVERFLOW_LABELS = 'otel_metric_overflow="true"'

const KEY_SEPARATOR = '\u0001'
const NO_VALUES: readonly LabelValue[] = []

export abstract class Metric<Child> {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  abstract readonly type: MetricType
  protected readonly children = new Map<string, Child>()
  private readonly maxSeries: number
  private readonly onDropped: OnSeriesDropped
  /** Where observations of label sets past the cap go, made on the first one. */
  private overflow: Child | undefined = undefined

  constructor(config: MetricConfig, maxSeries: number, onDropped: OnSeriesDropped) {
    assertMetricName(config.name)
    if (typeof config.help !== 'string' || config.help.length === 0) {
      throw new SightlineError('SIGHTLINE_ERR_METRIC_CONFIG', `metric ${config.name} needs a help text`)
    }
    const labelNames = config.labelNames ?? []
    assertLabelNames(config.name, labelNames)
    this.name = config.name
    this.help = config.help
    this.labelNames = [...labelNames]
    this.maxSeries = maxSeries
    this.onDropped = onDropped
  }

  /** A new series: its rendered label string, and the values it was asked for in `labelNames` order. */
  protected abstract createChild(labelString: string, labelValues: readonly LabelValue[]): Child

  /**
   * Returns the series for these label values: keep the result and call it on the hot path, so
   * labels are resolved once. Accepts an object or the values in `labelNames` order.
   * @example const ok = signups.labels({ source: 'web' }); ok.inc()
   */
  labels(...values: [Labels] | LabelValue[]): Child {
    const list = this.valuesOf(values)
    const key = list.length === 1 ? String(list[0]) : list.join(KEY_SEPARATOR)
    let child = this.children.get(key)
    if (child === undefined) {
      if (this.children.size >= this.maxSeries) {
        this.onDropped(this.name)
        this.overflow ??= this.createChild(OVERFLOW_LABELS, NO_VALUES)
        return this.overflow
      }
      child = this.createChild(this.renderLabels(list), list)
      this.children.set(key, child)
    }
    return child
  }

  /** Removes one series. */
  remove(...values: [Labels] | LabelValue[]): void {
    const list = this.valuesOf(values)
    this.children.delete(list.length === 1 ? String(list[0]) : list.join(KEY_SEPARATOR))
  }

  /** Removes every series. */
  reset(): void {
    this.children.clear()
    this.overflow = undefined
  }

  /**
   * The series rendered as `labelString`, made if missing and never capped: how a metric summed
   * from several processes is filled before it is rendered (its label strings are already checked).
   * @internal
   */
  seriesAt(labelString: string): Child {
    if (labelString === OVERFLOW_LABELS) {
      this.overflow ??= this.createChild(OVERFLOW_LABELS, NO_VALUES)
      return this.overflow
    }
    let child = this.children.get(labelString)
    if (child === undefined) {
      // Rendering only (aggregation/restore): the push reads each process' own registry, not these.
      child = this.createChild(labelString, NO_VALUES)
      this.children.set(labelString, child)
    }
    return child
  }

  /** Every series to render: the labelled ones, then the overflow series if there is one. */
  protected series(): Child[] {
    const all = [...this.children.values()]
    if (this.overflow !== undefined) all.push(this.overflow)
    return all
  }

  /**
   * Every series, as a scrape sees them (an unlabelled metric has its one series even before it is
   * used): what an exporter other than the exposition reads (metrics-otlp).
   * @internal
   */
  exportSeries(): Child[] {
    if (this.labelNames.length === 0 && this.children.size === 0) this.labels()
    return this.series()
  }

  /** The existing series for `labels`, never made by asking. */
  protected peek(labels: Labels | undefined): Child | undefined {
    if (labels === undefined) {
      if (this.labelNames.length !== 0) this.labelError(`needs labels ${this.labelNames.join(', ')}`)
      return this.children.get('')
    }
    const list = this.valuesOf([labels])
    return this.children.get(list.length === 1 ? String(list[0]) : list.join(KEY_SEPARATOR))
  }

  get seriesCount(): number {
    return this.children.size
  }

  /** The child for an unlabelled metric, or the one named by `labels`. */
  protected resolve(labels: Labels | undefined): Child {
    if (labels === undefined) {
      if (this.labelNames.length !== 0) this.labelError(`needs labels ${this.labelNames.join(', ')}`)
      return this.labels()
    }
    return this.labels(labels)
  }

  private valuesOf(values: [Labels] | LabelValue[]): LabelValue[] {
    const names = this.labelNames
    if (values.length === 1 && typeof values[0] === 'object' && values[0] !== null) {
      const object = values[0] as Labels
      const list: LabelValue[] = new Array(names.length)
      let given = 0
      for (let i = 0; i < names.length; i++) {
        const value = object[names[i] as string]
        if (value === undefined) this.labelError(`is missing label "${names[i]}"`)
        list[i] = value as LabelValue
        given++
      }
      if (Object.keys(object).length !== given)
        this.labelError(`got unknown labels in ${Object.keys(object).join(', ')}`)
      return list
    }
    if (values.length !== names.length) this.labelError(`takes ${names.length} label values, got ${values.length}`)
    return values as LabelValue[]
  }

  private renderLabels(values: readonly LabelValue[]): string {
    let out = ''
    for (let i = 0; i < values.length; i++) {
      if (i > 0) out += ','
      out += `${this.labelNames[i]}="${escapeLabelValue(String(values[i]))}"`
    }
    return out
  }

  private labelError(message: string): never {
    throw new SightlineError('SIGHTLINE_ERR_LABELS', `metric ${this.name} ${message}`)
  }

  /** Renders this metric's samples in the Prometheus text format or OpenMetrics. */
  abstract render(openMetrics: boolean): string

  /** Its definition and series in the structured form processes exchange to be summed. @internal */
  abstract snapshot(): MetricSnapshot

  /** Every series, with the unlabelled metric's one series made if missing (as a scrape shows it). */
  protected allSeries(): Child[] {
    if (this.labelNames.length === 0 && this.children.size === 0) this.labels()
    return this.series()
  }
}

/** What counter and gauge series share: one value and a line prefix rendered once. */
export class ScalarChild {
  value = 0
  readonly labelString: string
  /** The label values in the metric's `labelNames` order (empty for the overflow series). */
  readonly labelValues: readonly LabelValue[]
  /** `name{labels} `, rendered once: a scrape only appends the value. */
  readonly prefix: string
  constructor(labelString: string, name = '', labelValues: readonly LabelValue[] = NO_VALUES) {
    this.labelString = labelString
    this.labelValues = labelValues
    this.prefix = `${name}${braces(labelString)} `
  }
}

/** The sample lines of counter and gauge series. */
export function renderScalars(children: Iterable<ScalarChild>): string {
  let out = ''
  for (const child of children) out += `${child.prefix}${formatValue(child.value)}\n`
  return out
}

/** `{labels}` or `{labels,extra}` or `` as the exposition wants it. */
export function braces(labelString: string, extra = ''): string {
  if (labelString === '') return extra === '' ? '' : `{${extra}}`
  return extra === '' ? `{${labelString}}` : `{${labelString},${extra}}`
}
