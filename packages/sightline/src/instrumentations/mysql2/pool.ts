/**
 * @module instrumentations/mysql2/pool
 * A core mysql2 pool: every connection it hands out instrumented (connection.ts), a waiting
 * caller's callback kept in the caller's context, the wait timed, and the pool's state exported —
 * read at scrape time from internals/mysql2 (instrumentations/pool-metrics), so queries pay nothing for it.
 */
import { AsyncResource } from 'node:async_hooks'
import { performance } from 'node:perf_hooks'
import type { Sightline } from '../../core/sightline.js'
import { mysql2PoolState } from '../../internals/mysql2.js'
import type { QueryRecorder } from '../pg/query.js'
import { poolMetrics } from '../pool-metrics.js'
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
  const { timeouts, wait } = poolMetrics(sightline.metrics, poolName, () => mysql2PoolState(pool))

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
