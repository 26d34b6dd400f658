/**
 * @module processes
 * How one Sightline instance takes part in aggregation, whatever process it is in: a node:cluster
 * primary (or any main thread) sums the workers that report to it; a cluster worker reports to its
 * primary, leaves the ops port to it, and answers its app-port `/metrics` with the primary's sums.
 */
import cluster from 'node:cluster'
import type { Health } from '../../health/health.js'
import type { MetricsReply } from '../../ops/ops-handler.js'
import type { Registry } from '../registry.js'
import { aggregateClusterWorkers, ClusterReporter } from './cluster.js'
import { aggregateWorkerThreads } from './threads.js'

/** The readiness check a node:cluster primary gets once its first worker reports. */
export const CHECK_CLUSTER_WORKERS = 'cluster_workers'
/** On a cluster worker's `/metrics`: `cluster` (the primary's sums) or `process` (this worker alone). */
export const HEADER_METRICS_SCOPE = 'sightline-metrics-scope'
/** How long a cluster worker waits for its primary's Sightline to answer before serving its own ops port. */
const PRIMARY_ANSWER_MS = 1000

export interface ProcessAggregationOptions {
  registry: Registry
  health: Health
  /** Longest a scrape waits for one worker. */
  timeoutMs: number
  report: (error: unknown, where: string) => void
  warn: (fields: object, msg: string) => void
}

export class ProcessAggregation {
  /** Set in a node:cluster worker: reports this process to the primary. */
  readonly reporter: ClusterReporter | undefined
  private readonly options: ProcessAggregationOptions
  private readonly stops: Array<() => void> = []
  private toldPartialView = false
  private closed = false

  constructor(options: ProcessAggregationOptions) {
    this.options = options
    const { registry, report } = options
    this.reporter = cluster.isWorker
      ? new ClusterReporter(
          () => registry.snapshot(),
          (error) => report(error, 'metrics.cluster'),
        )
      : undefined
    const onConflict = (metric: string, worker: string | undefined): void =>
      report(
        new Error(`metric ${metric} of worker ${worker ?? 'retired'} differs in type, labels or buckets; left out`),
        `metrics.aggregate ${metric}`,
      )
    const aggregator = (self: string) => registry.aggregation(options.timeoutMs, self, onConflict)
    if (cluster.isPrimary) {
      let checking = false
      const clusterAggregator = (self: string) => {
        const created = aggregator(self)
        if (!checking) {
          checking = true
          // The primary's /readyz is the cluster's: not ready while no worker is there to serve.
          options.health.addCheck(CHECK_CLUSTER_WORKERS, () => {
            if (created.size === 0) throw new Error('no cluster worker is running Sightline')
          })
        }
        return created
      }
      this.stops.push(
        aggregateClusterWorkers(cluster, clusterAggregator, (openMetrics) => registry.render(openMetrics)),
      )
    }
    this.stops.push(aggregateWorkerThreads(aggregator))
  }

  /**
   * In a worker: says hello to the primary. With an ops port, a primary that runs no Sightline
   * (PM2's cluster mode: the primary is PM2's daemon) never answers; the worker then serves its
   * own ops port (`serveOps`), which should be one per instance, and says so.
   */
  start(opsPort: number | undefined, serveOps: () => void): void {
    const reporter = this.reporter
    if (reporter === undefined) return
    reporter.start()
    if (opsPort === undefined) return
    setTimeout(() => {
      if (reporter.welcomed || this.closed) return
      this.options.warn(
        { worker: cluster.worker?.id, port: opsPort },
        'the cluster primary runs no Sightline: this worker serves its own ops port, with its own metrics only',
      )
      serveOps()
    }, PRIMARY_ANSWER_MS).unref()
  }

  /**
   * `/metrics` on a cluster worker's app port: the primary's sum over the cluster, never this
   * worker's share passed off as the whole. Without a primary that aggregates (its Sightline
   * never answered), this worker's own series, marked so in a header and told once in the log.
   */
  readonly render = async (openMetrics: boolean): Promise<MetricsReply> => {
    const reporter = this.reporter as ClusterReporter
    if (reporter.welcomed) {
      try {
        const body = await reporter.renderViaPrimary(openMetrics, this.options.timeoutMs * 2 + 1000)
        return { body, headers: { [HEADER_METRICS_SCOPE]: 'cluster' } }
      } catch (error) {
        this.options.report(error, 'metrics.primary')
        return {
          status: 503,
          body: '{"error":"the cluster primary did not answer; this worker alone would be a partial view"}',
          headers: { [HEADER_METRICS_SCOPE]: 'cluster', 'retry-after': '1' },
        }
      }
    }
    if (!this.toldPartialView) {
      this.toldPartialView = true
      this.options.warn(
        { worker: cluster.worker?.id },
        "cluster worker's /metrics shows this worker only: the primary runs no Sightline to sum the workers",
      )
    }
    return { body: await this.options.registry.render(openMetrics), headers: { [HEADER_METRICS_SCOPE]: 'process' } }
  }

  /** At shutdown, last: the final snapshot, then the IPC listener goes (it would keep the worker alive). */
  async finish(): Promise<void> {
    if (this.reporter === undefined) return
    await this.reporter.final()
    this.reporter.stop()
  }

  close(): void {
    this.closed = true
    this.reporter?.stop()
    for (const stop of this.stops) stop()
  }
}
