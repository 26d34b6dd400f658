/**
 * @module instrumentations/mysql2/errors
 * `error_type` of a failed MySQL query, from a bounded set: the server's error code
 * (`ER_NO_SUCH_TABLE`, `ER_DUP_ENTRY`: MySQL's list is fixed), `timeout` for mysql2's own query
 * `timeout`, a Node or protocol code (`ECONNREFUSED`, `PROTOCOL_CONNECTION_LOST`), else the
 * error's class. Never the message: MySQL quotes the refused value in some (`Duplicate entry 'x'`).
 */
import type { DriverErrors } from '../pg/query.js'
import { CLIENT_TIMEOUT } from '../pg/timeouts.js'

/** The code mysql2 gives a query it abandoned at its `timeout` option. */
const QUERY_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT'
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const CLASS_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/

interface Mysql2Error {
  code?: unknown
  /** The server's numeric error, present only on errors the server sent. */
  errno?: unknown
  sqlState?: unknown
}

export const MYSQL_ERRORS: DriverErrors = {
  typeOf(error: unknown): string {
    const code = (error as Mysql2Error | null)?.code
    if (code === QUERY_TIMEOUT_CODE) return CLIENT_TIMEOUT
    if (typeof code === 'string' && CODE.test(code)) return code
    if (error instanceof Error) return CLASS_NAME.test(error.name) ? error.name : 'Error'
    return 'Error'
  },
  /** The server's error code (`ER_NO_SUCH_TABLE`), on errors the server sent (they have a SQLSTATE). */
  statusCodeOf(error: unknown): string | undefined {
    const fields = error as Mysql2Error | null
    if (typeof fields?.sqlState !== 'string' || typeof fields.errno !== 'number') return undefined
    return typeof fields.code === 'string' && CODE.test(fields.code) ? fields.code : String(fields.errno)
  },
}
