/**
 * @module gauge
 * A value that goes up and down, optionally refreshed by a `collect` callback at scrape time.
 */
import { SightlineError } from '../errors.js'
import {
  GAUGE_AGGREGATES,
  type GaugeAggregate,
  LABEL_WORKER,
  type MetricSnapshot,
  type ScalarSeries,
} from './aggregation/snapshot.js'
import {
  type Labels,
  type LabelValue,
  Metric,
  type MetricConfig,
  type OnSeriesDropped,
  renderScalars,
  ScalarChild,
} from './metric.js'
import { escapeHelp } from './validation.js'

export class GaugeChild extends ScalarChild {
  set(value: number): void {
    this.value = value
  }
  inc(amount = 1): void {
    this.value += amount
  }
  dec(amount = 1): void {
    this.value -= amount
  }
}

export interface GaugeConfig extends MetricConfig {
  /** Runs before every scrape to refresh the value(s). Errors are contained, never thrown. */
  collect?: (this: Gauge, gauge: Gauge) => void | Promise<void>
  /**
   * How the primary of a node:cluster (or the main thread of worker threads) combines this gauge's
   * series from every process: `sum` (default), `max`, `min`, or `worker` (one series per process,
   * labelled `worker`). See docs/metrics.md, "Several processes".
   */
  aggregate?: GaugeAggregate
}

/**
 * @example
 * const open = metrics.gauge({ name: 'app_active_connections', help: 'Open SSE streams' })
 * open.inc(); open.dec()
 */
export class Gauge extends Metric<GaugeChild> {
  readonly type = 'gauge'
  readonly collect: GaugeConfig['collect']
  readonly aggregate: GaugeAggregate

  constructor(config: GaugeConfig, maxSeries: number, onDropped: OnSeriesDropped) {
    super(config, maxSeries, onDropped)
    this.collect = config.collect
    const aggregate = config.aggregate ?? 'sum'
    if (!GAUGE_AGGREGATES.includes(aggregate)) {
      throw new SightlineError(
        'SIGHTLINE_ERR_METRIC_CONFIG',
        `aggregate of ${config.name} must be one of ${GAUGE_AGGREGATES.join(', ')}, received ${JSON.stringify(aggregate)}`,
      )
    }
    if (aggregate === 'worker' && this.labelNames.includes(LABEL_WORKER)) {
      throw new SightlineError(
        'SIGHTLINE_ERR_METRIC_CONFIG',
        `${config.name} aggregates by worker, so it cannot have a label named "${LABEL_WORKER}" of its own`,
      )
    }
    this.aggregate = aggregate
  }

  protected createChild(labelString: string, labelValues: readonly LabelValue[]): GaugeChild {
    return new GaugeChild(labelString, this.name, labelValues)
  }

  set(labels: Labels | number, value?: number): void {
    if (typeof labels === 'number') this.resolve(undefined).set(labels)
    else this.resolve(labels).set(value ?? 0)
  }

  inc(labels?: Labels | number, amount?: number): void {
    if (typeof labels === 'number') this.resolve(undefined).inc(labels)
    else this.resolve(labels).inc(amount)
  }

  dec(labels?: Labels | number, amount?: number): void {
    if (typeof labels === 'number') this.resolve(undefined).dec(labels)
    else this.resolve(labels).dec(amount)
  }

  /** The current value of one series (0 when it does not exist; asking does not make it). */
  get(labels?: Labels): number {
    return this.peek(labels)?.value ?? 0
  }

  snapshot(): MetricSnapshot {
    const series: ScalarSeries[] = this.allSeries().map((child) => [child.labelString, child.value])
    const { name, help, labelNames, aggregate } = this
    return { name, help, type: 'gauge', labelNames, aggregate, series }
  }

  render(_openMetrics: boolean): string {
    if (this.labelNames.length === 0 && this.children.size === 0) this.labels()
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} gauge\n${renderScalars(this.series())}`
  }
}
