/**
 * @module counter
 * A monotonically increasing count. Names end in `_total`, as Prometheus and OpenMetrics want.
 */
import { SightlineError } from '../errors.js'
import type { MetricSnapshot, ScalarSeries } from './aggregation/snapshot.js'
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

export class CounterChild extends ScalarChild {
  /** Adds `amount` (default 1); negative amounts are ignored rather than thrown. */
  inc(amount = 1): void {
    if (amount > 0) this.value += amount
  }
}

/**
 * @example
 * const signups = metrics.counter({ name: 'app_user_signups_total', help: 'Signups', labelNames: ['source'] })
 * signups.inc({ source: 'web' })
 */
export class Counter extends Metric<CounterChild> {
  readonly type = 'counter'
  private readonly family: string

  constructor(config: MetricConfig, maxSeries: number, onDropped: OnSeriesDropped) {
    super(config, maxSeries, onDropped)
    if (!config.name.endsWith('_total')) {
      throw new SightlineError('SIGHTLINE_ERR_METRIC_NAME', `counter ${config.name} must end in _total`)
    }
    this.family = config.name.slice(0, -'_total'.length)
  }

  protected createChild(labelString: string, labelValues: readonly LabelValue[]): CounterChild {
    return new CounterChild(labelString, this.name, labelValues)
  }

  inc(labels?: Labels | number, amount?: number): void {
    if (typeof labels === 'number') this.resolve(undefined).inc(labels)
    else this.resolve(labels).inc(amount)
  }

  /** The current value of one series (0 when it does not exist; asking does not make it). */
  get(labels?: Labels): number {
    return this.peek(labels)?.value ?? 0
  }

  snapshot(): MetricSnapshot {
    const series: ScalarSeries[] = this.allSeries().map((child) => [child.labelString, child.value])
    return { name: this.name, help: this.help, type: 'counter', labelNames: this.labelNames, series }
  }

  render(openMetrics: boolean): string {
    const type = openMetrics ? this.family : this.name
    if (this.labelNames.length === 0 && this.children.size === 0) this.labels()
    return `# HELP ${type} ${escapeHelp(this.help)}\n# TYPE ${type} counter\n${renderScalars(this.series())}`
  }
}
