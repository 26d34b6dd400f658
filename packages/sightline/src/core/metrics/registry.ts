/**
 * @module registry
 * A registry per application: get-or-create metrics (no "already registered" in tests or hot
 * reload), a hard series cap per metric, and exposition in the Prometheus text format or OpenMetrics.
 */
import { performance } from 'node:perf_hooks'
import {
  METRIC_ADOPTED_REFUSED,
  METRIC_SCRAPE_DURATION,
  METRIC_SERIES_DROPPED,
  METRIC_VALUES_REJECTED,
} from '../constants.js'
import { SightlineError, SightlineOptionError } from '../errors.js'
import { AdoptedRegistries, type ExternalRegistry, emittedNames, isExternalRegistry } from './adopted.js'
import { Aggregator } from './aggregation/aggregator.js'
import { MergedText } from './aggregation/restore.js'
import type { RegistrySnapshot } from './aggregation/snapshot.js'
import { type PortLike, reportToPort } from './aggregation/threads.js'
import { Counter } from './counter.js'
import { Gauge, type GaugeConfig } from './gauge.js'
import { type ExemplarSource, Histogram, type HistogramConfig, type HistogramSinks } from './histogram.js'
import type { Labels, Metric, MetricConfig } from './metric.js'

export const CONTENT_TYPE_TEXT = 'text/plain; version=0.0.4; charset=utf-8'
export const CONTENT_TYPE_OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

export interface RegistryOptions {
  /** Most series one metric may hold; past it new label sets are refused and counted. Default 2000. */
  maxSeriesPerMetric?: number
  /** Receives errors from `collect` callbacks, which never reach the scrape. */
  onCollectError?: (error: unknown, metric: string) => void
}

export type AnyMetric = Counter | Gauge | Histogram

/**
 * @example
 * const metrics = new Registry()
 * metrics.counter({ name: 'app_user_signups_total', help: 'Signups', labelNames: ['source'] }).inc({ source: 'web' })
 * const text = await metrics.render(false)
 */
/** The series-dropped counter's own refusal callback: it has no cap, so this is never called. */
const NEVER_DROPPED = (): void => {}

export class Registry {
  private readonly metrics = new Map<string, AnyMetric>()
  private readonly maxSeries: number
  private readonly dropped: Counter
  private readonly rejected: Counter
  private readonly sinks: HistogramSinks
  private readonly scrapeDuration: Gauge
  private readonly onCollectError: (error: unknown, metric: string) => void
  private readonly collectors: Array<() => void | Promise<void>> = []
  private aggregator: Aggregator | undefined = undefined
  /** The text of the merged metrics, kept while their inputs do not change (with the aggregator). */
  private mergedText: MergedText | undefined = undefined
  private adopted: AdoptedRegistries | undefined = undefined

  constructor(options: RegistryOptions = {}) {
    this.maxSeries = options.maxSeriesPerMetric ?? 2000
    this.onCollectError = options.onCollectError ?? (() => {})
    // One series per metric of this registry, so not under the per-metric cap: capped, it would
    // refuse a metric's first refusal past the cap and report that refusal to itself, forever.
    const dropped: MetricConfig = {
      name: METRIC_SERIES_DROPPED,
      help: 'Observations refused because their metric reached its series cap, by metric.',
      labelNames: ['metric'],
    }
    this.dropped = this.getOrCreate(
      dropped,
      'counter',
      () => new Counter(dropped, Number.POSITIVE_INFINITY, NEVER_DROPPED),
    ) as Counter
    const rejected: MetricConfig = {
      name: METRIC_VALUES_REJECTED,
      help: 'Observations refused because the value was not a finite number (NaN, Infinity), by metric.',
      labelNames: ['metric'],
    }
    this.rejected = this.getOrCreate(
      rejected,
      'counter',
      () => new Counter(rejected, Number.POSITIVE_INFINITY, NEVER_DROPPED),
    ) as Counter
    this.sinks = { exemplars: undefined, rejected: (metric) => this.rejected.inc({ metric }) }
    this.scrapeDuration = this.gauge({
      name: METRIC_SCRAPE_DURATION,
      help: 'Time the previous /metrics scrape took to collect and render, in seconds.',
      aggregate: 'max',
    })
  }

  counter(config: MetricConfig): Counter {
    return this.getOrCreate(config, 'counter', () => new Counter(config, this.maxSeries, this.onDropped)) as Counter
  }

  gauge(config: GaugeConfig): Gauge {
    return this.getOrCreate(config, 'gauge', () => new Gauge(config, this.maxSeries, this.onDropped)) as Gauge
  }

  histogram(config: HistogramConfig): Histogram {
    return this.getOrCreate(
      config,
      'histogram',
      () => new Histogram(config, this.maxSeries, this.onDropped, this.sinks),
    ) as Histogram
  }

  /**
   * Where histograms find the sampled span an observation is made in (its exemplar): set by the
   * instance's tracing, undefined without it.
   * @internal
   */
  setExemplarSource(source: ExemplarSource | undefined): void {
    this.sinks.exemplars = source
  }

  /** The metric registered under `name`, if any. */
  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name)
  }

  /** Runs `fn` before every scrape (e.g. to read runtime statistics). */
  addCollector(fn: () => void | Promise<void>): void {
    this.collectors.push(fn)
  }

  /** Removes a metric; a later get-or-create builds it afresh. */
  removeMetric(name: string): void {
    this.metrics.delete(name)
  }

  /**
   * Runs the collectors as a scrape does and returns every metric, for an exporter that encodes
   * them itself (metrics-otlp); the values are read synchronously after this resolves.
   * @internal
   */
  async collectMetrics(): Promise<readonly AnyMetric[]> {
    await this.collect()
    return [...this.metrics.values()]
  }

  /**
   * Renders every metric. `openMetrics` selects OpenMetrics 1.0 (with exemplars and `# EOF`). With
   * workers reporting to this registry, the series are the sums over this process and them; the
   * adopted registries' series follow.
   */
  async render(openMetrics: boolean): Promise<string> {
    const start = performance.now()
    await this.collect()
    let out = ''
    const aggregator = this.aggregator
    if (aggregator === undefined) {
      for (const metric of this.metrics.values()) out += metric.render(openMetrics)
    } else {
      const merged = await aggregator.gather(() => this.ownSnapshot())
      const text = this.mergedText as MergedText
      for (const metric of merged) out += text.render(metric, openMetrics)
    }
    if (this.adopted !== undefined) out += await this.adopted.render(openMetrics)
    this.scrapeDuration.set((performance.now() - start) / 1000)
    return openMetrics ? `${out}# EOF\n` : out
  }

  /**
   * This registry in the structured form another process sums (with what its own workers
   * reported, when it has any). Collectors run first, as for a scrape.
   * @internal
   */
  async snapshot(): Promise<RegistrySnapshot> {
    await this.collect()
    const aggregator = this.aggregator
    return aggregator === undefined ? this.ownSnapshot() : aggregator.gather(() => this.ownSnapshot())
  }

  /** This process' own metrics as they stand (collectors not run). */
  private ownSnapshot(): RegistrySnapshot {
    const out: RegistrySnapshot = []
    for (const metric of this.metrics.values()) out.push(metric.snapshot())
    return out
  }

  /**
   * Makes this registry the sum of its workers' (created once, on the first worker that reports):
   * `timeoutMs` is the longest a scrape waits for one of them. `self` names this process in the
   * `worker` label of gauges aggregated by worker (the first caller's: `primary` for node:cluster,
   * `main` for worker threads).
   * @internal the cluster and worker-thread transports' seam
   */
  aggregation(
    timeoutMs: number,
    self: string,
    onConflict: (metric: string, worker: string | undefined) => void,
  ): Aggregator {
    if (this.aggregator !== undefined) return this.aggregator
    this.mergedText = new MergedText(self)
    this.aggregator = new Aggregator(this, { timeoutMs, maxSeries: this.maxSeries, onConflict })
    return this.aggregator
  }

  /**
   * In a worker thread: reports this registry to the main thread's Sightline, which serves the
   * sum of its own series and every reporting thread's on its `/metrics`. Returns what stops it.
   * @example
   * import { parentPort } from 'node:worker_threads'
   * const metrics = new Registry()
   * metrics.reportTo(parentPort!)
   */
  reportTo(parent: PortLike): () => void {
    if (parent === null || typeof parent !== 'object' || typeof parent.postMessage !== 'function') {
      throw new SightlineOptionError('reportTo(port)', 'a MessagePort (parentPort)', parent)
    }
    return reportToPort(
      parent,
      () => this.snapshot(),
      () => this.ownSnapshot(),
      (error) => this.onCollectError(error, 'reportTo'),
    )
  }

  /**
   * Serves another registry (prom-client's `register`, or any object with `metrics()` and
   * `getMetricsAsArray()`) on this registry's `/metrics`, after Sightline's own series. A metric
   * name both would emit throws SIGHTLINE_ERR_METRIC_CLASH naming it, now or when Sightline makes
   * the metric later; one the other registry makes later is left out of scrapes and counted in
   * `sightline_metrics_adopted_refused_total`.
   * @example
   * import client from 'prom-client'
   * sightline.metrics.adopt(client.register)
   */
  adopt(registry: ExternalRegistry): void {
    if (!isExternalRegistry(registry)) {
      throw new SightlineOptionError('adopt(registry)', 'a registry with metrics() and getMetricsAsArray()', registry)
    }
    if (this.adopted === undefined) {
      const refused: MetricConfig = {
        name: METRIC_ADOPTED_REFUSED,
        help: "Scrapes that left out a metric of an adopted registry because Sightline's registry emits its name, by metric.",
        labelNames: ['metric'],
      }
      const counter = this.getOrCreate(
        refused,
        'counter',
        () => new Counter(refused, this.maxSeries, this.onDropped),
      ) as Counter
      this.adopted = new AdoptedRegistries(
        () => this.emittedNames(),
        (metric) => {
          counter.inc({ metric })
          this.onCollectError(
            new SightlineError(
              'SIGHTLINE_ERR_METRIC_CLASH',
              `metric ${metric} of an adopted registry clashes with Sightline's; left out`,
            ),
            `adopted ${metric}`,
          )
        },
      )
    }
    this.adopted.add(registry)
  }

  /** Every name this registry's exposition holds, each mapped to its metric's name. */
  private emittedNames(): Map<string, string> {
    const names = new Map<string, string>()
    for (const metric of this.metrics.values())
      for (const name of emittedNames(metric.name, metric.type)) names.set(name, metric.name)
    return names
  }

  private async collect(): Promise<void> {
    const pending: Promise<void>[] = []
    for (const fn of this.collectors) this.guard(fn, 'collector', pending)
    for (const metric of this.metrics.values()) {
      if (metric instanceof Gauge && metric.collect !== undefined) {
        const collect = metric.collect
        this.guard(() => collect.call(metric, metric), metric.name, pending)
      }
    }
    if (pending.length > 0) await Promise.all(pending)
  }

  private guard(fn: () => void | Promise<void>, name: string, pending: Promise<void>[]): void {
    try {
      const result = fn()
      if (result instanceof Promise) pending.push(result.catch((error) => this.onCollectError(error, name)))
    } catch (error) {
      this.onCollectError(error, name)
    }
  }

  private readonly onDropped = (metric: string): void => {
    this.dropped.labels(metric).inc()
  }

  private getOrCreate(config: MetricConfig, type: AnyMetric['type'], create: () => AnyMetric): AnyMetric {
    const existing = this.metrics.get(config?.name)
    if (existing !== undefined) {
      const labels = config.labelNames ?? []
      if (existing.type !== type || !sameList(existing.labelNames, labels)) {
        throw new SightlineError(
          'SIGHTLINE_ERR_METRIC_CONFLICT',
          `metric ${config.name} exists as a ${existing.type} with labels [${existing.labelNames.join(', ')}]`,
        )
      }
      return existing
    }
    const metric = create()
    this.adopted?.assertFree(metric.name, emittedNames(metric.name, metric.type))
    this.metrics.set(metric.name, metric)
    return metric
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i])
}

export type { Labels, Metric }
