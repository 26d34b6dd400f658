/**
 * @module instrumentations/pool-metrics
 * What every connection pool exports, whatever its driver (pg, mysql2): used/idle, max and
 * waiting connections, read at scrape time so queries pay nothing for them, connect timeouts and
 * the wait for a connection. The gauges are shared by every pool (get-or-create) and each pool
 * refreshes its own series from a registry collector: a `collect` on a shared gauge would be the
 * first pool's only, and a second pool would never be read.
 */
import type { Registry } from '../core/metrics/registry.js'

export const METRIC_POOL_COUNT = 'db_client_connection_count'
export const METRIC_POOL_MAX = 'db_client_connection_max'
export const METRIC_POOL_PENDING = 'db_client_connection_pending_requests'
export const METRIC_POOL_TIMEOUTS = 'db_client_connection_timeouts_total'
export const METRIC_POOL_WAIT = 'db_client_connection_wait_time_seconds'

/** A pool's state at scrape time; `undefined` when it cannot be read (its internals changed). */
export interface PoolState {
  total: number
  idle: number
  max: number
  pending: number
}

/** The pool's own series: a connect timeout counted, a wait for a connection observed in seconds. */
export interface PoolSeries {
  timeouts: { inc(): void }
  wait: { observe(seconds: number): void }
}

export function poolMetrics(metrics: Registry, poolName: string, read: () => PoolState | undefined): PoolSeries {
  const labels = { db_client_connection_pool_name: poolName }
  const count = metrics.gauge({
    name: METRIC_POOL_COUNT,
    help: 'Connections in the pool, by state (used or idle).',
    labelNames: ['db_client_connection_state', 'db_client_connection_pool_name'],
  })
  const used = count.labels({ db_client_connection_state: 'used', ...labels })
  const idle = count.labels({ db_client_connection_state: 'idle', ...labels })
  const max = metrics
    .gauge({
      name: METRIC_POOL_MAX,
      help: 'Most connections the pool may open.',
      labelNames: ['db_client_connection_pool_name'],
    })
    .labels(labels)
  const pending = metrics
    .gauge({
      name: METRIC_POOL_PENDING,
      help: 'Requests waiting for a connection from the pool.',
      labelNames: ['db_client_connection_pool_name'],
    })
    .labels(labels)
  metrics.addCollector(() => {
    const state = read()
    if (state === undefined) return
    used.set(state.total - state.idle)
    idle.set(state.idle)
    max.set(state.max)
    pending.set(state.pending)
  })
  const timeouts = metrics
    .counter({
      name: METRIC_POOL_TIMEOUTS,
      help: 'Connection requests that timed out waiting for the pool.',
      labelNames: ['db_client_connection_pool_name'],
    })
    .labels(labels)
  const wait = metrics
    .histogram({
      name: METRIC_POOL_WAIT,
      help: 'Time spent waiting for a connection from the pool, in seconds.',
      labelNames: ['db_client_connection_pool_name'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    })
    .labels(labels)
  return { timeouts, wait }
}
