/**
 * @module instrumentations/mysql2/check
 * A readiness check for a mysql2 pool or connection: one `SELECT 1`, through the core object's
 * callback API so that a promise wrapper and a callback one are checked the same way.
 */
import { SightlineError } from '../../core/errors.js'
import { coreOf, type Mysql2Queryable } from './instrument.js'

type Query = (sql: string, callback: (error: unknown) => void) => unknown

/** @example sightline.addCheck('mysql', mysqlCheck(pool), { timeoutMs: 1000 }) */
export function mysqlCheck(target: Mysql2Queryable): () => Promise<void> {
  const core = coreOf(target)
  if (core === undefined) {
    throw new SightlineError('SIGHTLINE_ERR_INVALID_OPTION', 'mysqlCheck takes a mysql2 Pool or Connection')
  }
  const inner = ('pool' in core ? core.pool : core.connection) as unknown as { query: Query }
  return () =>
    new Promise<void>((resolve, reject) => {
      inner.query('SELECT 1', (error) => (error ? reject(error) : resolve()))
    })
}
