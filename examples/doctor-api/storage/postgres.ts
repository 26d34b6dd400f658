/**
 * @module doctor-api/storage/postgres
 * doctor-api on a Postgres server (DATABASE_URL): a `pg` Pool instrumented by `sightline/pg`, with
 * timeouts on both sides so no request waits forever on a database that stopped answering.
 */
import pg from 'pg'
import type { Sightline } from 'sightline'
import { instrumentPool } from 'sightline/pg'
import type { Database } from './database.js'

export interface PostgresOptions {
  max?: number
  /**
   * Longest a query may run, on both sides: Postgres cancels it (`statement_timeout`,
   * `error_type="57014"`) and pg gives up on it (`query_timeout`, which holds when the network, not
   * Postgres, is stuck: `error_type="timeout"`). Equal, pg's timer usually fires first.
   */
  queryTimeoutMs?: number
  /** Longest wait for a pooled connection. */
  connectTimeoutMs?: number
  slowQueryMs?: number
  /** Instrument the pool with sightline/pg (default); false only to measure what that costs (bench/). */
  instrument?: boolean
}

export function openPostgres(url: string, sightline: Sightline, options: PostgresOptions = {}): Database {
  const queryTimeout = options.queryTimeoutMs ?? 3000
  const raw = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    query_timeout: queryTimeout,
    statement_timeout: queryTimeout,
    idleTimeoutMillis: 10000,
    keepAlive: true,
  })
  const pool =
    options.instrument === false
      ? raw
      : instrumentPool(raw, { sightline, poolName: 'doctor-api', slowQueryMs: options.slowQueryMs })
  // An idle client losing its connection is reported here; without a listener it would crash the process.
  pool.on('error', (error) => sightline.logger.warn({ err: error }, 'idle database connection lost'))
  const target = new URL(url)
  return {
    system: 'postgresql',
    description: `postgres (${target.hostname}:${target.port || 5432}${target.pathname})`,
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await pool.query(text, params as unknown[])
      return result.rows as Row[]
    },
    close: () => pool.end(),
  }
}
