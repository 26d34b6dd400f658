/**
 * @module instrumentations/mysql2/check
 * A readiness check for a mysql2 pool, pool cluster or connection: one `SELECT 1`, through the core
 * object's callback API so that a promise wrapper and a callback one are checked the same way (a
 * cluster's on a connection of the node its default selector picks).
 */
import { SightlineError } from '../../core/errors.js'
import { coreOf, type Mysql2Cluster, type Mysql2Queryable } from './instrument.js'

type Query = (sql: string, callback: (error: unknown) => void) => unknown
type GetConnection = (callback: (error: unknown, connection?: { query: Query; release(): void }) => void) => void

/** @example sightline.addCheck('mysql', mysqlCheck(pool), { timeoutMs: 1000 }) */
export function mysqlCheck(target: Mysql2Queryable | Mysql2Cluster): () => Promise<void> {
  const core = coreOf(target)
  if (core === undefined) {
    throw new SightlineError(
      'SIGHTLINE_ERR_INVALID_OPTION',
      'mysqlCheck takes a mysql2 Pool, PoolCluster or Connection',
    )
  }
  if ('cluster' in core) {
    const cluster = core.cluster as unknown as { getConnection: GetConnection }
    return () =>
      new Promise<void>((resolve, reject) => {
        cluster.getConnection((error, connection) => {
          if (error || connection === undefined) return reject(error)
          connection.query('SELECT 1', (failed) => {
            connection.release()
            if (failed) reject(failed)
            else resolve()
          })
        })
      })
  }
  const inner = ('pool' in core ? core.pool : core.connection) as unknown as { query: Query }
  return () =>
    new Promise<void>((resolve, reject) => {
      inner.query('SELECT 1', (error) => (error ? reject(error) : resolve()))
    })
}
