/**
 * @module instrumentations/mysql2/pool
 * A core mysql2 pool: every connection it hands out instrumented (connection.ts), a waiting
 * caller's callback kept in the caller's context, the wait timed, and the pool's state exported —
 * read at scrape time from internals/mysql2, so queries pay nothing for it. The gauges are pg's.
 */
import { AsyncResource } from 'node:async_hooks'
import { performance } from 'node:perf_hooks'
import type { Sightline } from '../../core/sightline.js'
import { mysql2PoolState } from '../../internals/mysql2.js'
import {
  METRIC_POOL_COUNT,
  METRIC_POOL_MAX,
  METRIC_POOL_PENDING,
  METRIC_POOL_TIMEOUTS,
  METRIC_POOL_WAIT,
} from '../pg/pool.js'
import type { QueryRecorder } from '../pg/query.js'
import { instrumentConnection, type Mysql2CoreConnection } from './connection.js'

/** The part of a core mysql2 pool Sightline uses. Structural: no mysql2 type is published. */
export interface Mysql2CorePool {
  getConnection(callback: (error: unknown, connection?: Mysql2CoreConnection) => void): void
  readonly config: { connectionConfig: { host?: string; port?: number; socketPath?: string } }
}

type GetConnection = (this: unknown, callback: (error: unknown, connection?: Mysql2CoreConnection) => void) => void

/** mysql2's code for a connection not opened within `connectTimeout`. */
const CONNECT_TIMEOUT_CODE = 'ETIMEDOUT'

export function instrumentCorePool(
  pool: Mysql2CorePool,
  recorder: QueryRecorder,
  sightline: Sightline,
  poolName: string,
): void {
  const metrics = sightline.metrics
  const labels = { db_client_connection_pool_name: poolName }
  // Gauges without a `collect` of their own: the registry keeps the first registration's, so
  // a second pool's would never run. Each pool refreshes its own series from a collector.
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
    const state = mysql2PoolState(pool)
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

  const original = pool.getConnection as GetConnection
  // The pool's own `query` and `execute` call `this.getConnection`, and a promise pool calls its
  // core pool's: this one wrapper sees every connection handed out.
  const getConnection: GetConnection = function getConnection(this: unknown, callback) {
    const started = performance.now()
    // A waiting caller is handed a released connection from the releaser's context; bind the
    // callback to the caller's so its queries, spans and log lines stay its own.
    const handed = AsyncResource.bind((error: unknown, connection?: Mysql2CoreConnection) => {
      try {
        wait.observe((performance.now() - started) / 1000)
        if ((error as { code?: unknown } | null)?.code === CONNECT_TIMEOUT_CODE) timeouts.inc()
        if (connection !== undefined && connection !== null) instrumentConnection(connection, recorder)
      } catch (failure) {
        sightline.report(failure, 'mysql2.getConnection')
      }
      callback(error, connection)
    })
    return original.call(this, handed)
  }
  ;(pool as unknown as { getConnection: GetConnection }).getConnection = getConnection
}
