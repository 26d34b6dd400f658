/**
 * @module instrumentations/pg/pool
 * `instrumentPool(pool)`: every query of a `pg` Pool (through `pool.query` or a client from
 * `pool.connect`) timed and traced once, and the pool's state — used, idle, max, waiting, connect
 * timeouts, wait time — exported, read at scrape time so queries pay nothing for it.
 */
import { AsyncResource } from 'node:async_hooks'
import { performance } from 'node:perf_hooks'
import type { Pool, PoolClient } from 'pg'
import { getSightline } from '../../core/default.js'
import type { Sightline } from '../../core/sightline.js'
import { poolMetrics } from '../pool-metrics.js'
import { type QueryMeta, QueryRecorder, settle } from './query.js'
import { endedByTimer, readTimeoutOf } from './timeouts.js'

export {
  METRIC_POOL_COUNT,
  METRIC_POOL_MAX,
  METRIC_POOL_PENDING,
  METRIC_POOL_TIMEOUTS,
  METRIC_POOL_WAIT,
} from '../pool-metrics.js'

export interface PoolInstrumentationOptions {
  sightline?: Sightline
  /** `db_client_connection_pool_name`. Default `default`. */
  poolName?: string
  /** Queries at least this slow get a `slow query` warning line. Default 500 ms. */
  slowQueryMs?: number
}

const kInstrumented = Symbol('sightline.pg')
type Marked = { [kInstrumented]?: true }
type Callback = (error: Error | undefined, client?: PoolClient, release?: (error?: unknown) => void) => void

/**
 * @example
 * const pool = instrumentPool(new pg.Pool({ connectionString: process.env.DATABASE_URL }), { sightline })
 */
export function instrumentPool<P extends Pool>(pool: P, options: PoolInstrumentationOptions = {}): P {
  if ((pool as P & Marked)[kInstrumented]) return pool
  ;(pool as P & Marked)[kInstrumented] = true
  const sightline = options.sightline ?? getSightline()
  const poolName = options.poolName ?? 'default'
  const poolOptions = (
    pool as unknown as { options: { host?: string; port?: number; max?: number; connectionString?: string } }
  ).options
  const server = serverOf(poolOptions)
  const meta: QueryMeta = { system: 'postgresql', ...server, slowQueryMs: options.slowQueryMs ?? 500 }
  const recorder = new QueryRecorder(sightline, meta)
  const { timeouts, wait } = poolMetrics(sightline.metrics, poolName, () => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    max: poolOptions.max ?? 10,
    pending: pool.waitingCount,
  }))

  const instrumentClient = (client: PoolClient): PoolClient => {
    if ((client as PoolClient & Marked)[kInstrumented]) return client
    ;(client as PoolClient & Marked)[kInstrumented] = true
    const original = client.query as (...args: unknown[]) => unknown
    ;(client as unknown as { query: unknown }).query = function query(this: PoolClient, ...args: unknown[]) {
      const first = args[0] as { submit?: unknown } | string
      // Submittables (cursors, streams) report their own completion; pass them through.
      if (typeof first === 'object' && first !== null && typeof first.submit === 'function')
        return original.apply(this, args)
      const end = recorder.start(first, readTimeoutOf(first, client))
      const last = args.length - 1
      if (typeof args[last] === 'function') {
        const callback = args[last] as (error: unknown, result: unknown) => void
        args[last] = (error: unknown, result: unknown) => {
          end(error ?? undefined)
          callback(error, result)
        }
        return original.apply(this, args)
      }
      return settle(original.apply(this, args) as Promise<unknown>, end)
    }
    return client
  }

  const connect = pool.connect.bind(pool) as (callback?: Callback) => Promise<PoolClient> | undefined
  const poolTimeouts = pool as unknown as { options: { connectionTimeoutMillis?: number } }
  const observe = (started: number, error: unknown) => {
    const waitedMs = performance.now() - started
    wait.observe(waitedMs / 1000)
    // pg-pool's two timeouts (a caller waiting on a full pool, a new connection not opened in time).
    if (error !== undefined && endedByTimer(error, waitedMs, poolTimeouts.options.connectionTimeoutMillis)) {
      timeouts.inc()
    }
  }
  ;(pool as unknown as { connect: unknown }).connect = (callback?: Callback) => {
    const started = performance.now()
    if (typeof callback === 'function') {
      // A waiting caller is handed its client from the context of whoever released it; bind the
      // callback to the caller's context so its queries, spans and log lines stay its own.
      return connect(
        AsyncResource.bind((error: Error | undefined, client?: PoolClient, release?: (error?: unknown) => void) => {
          observe(started, error)
          callback(error, client === undefined ? undefined : instrumentClient(client), release)
        }),
      )
    }
    return (connect() as Promise<PoolClient>).then(
      (client) => {
        observe(started, undefined)
        return instrumentClient(client)
      },
      (error: unknown) => {
        observe(started, error)
        throw error
      },
    )
  }
  return pool
}

/** Host and port only: the connection string itself may carry a password and is never recorded. */
function serverOf(options: { host?: string; port?: number; connectionString?: string }): {
  host?: string
  port?: number
} {
  if (options.host !== undefined) return { host: options.host, port: Number(options.port ?? 5432) }
  if (options.connectionString === undefined) return {}
  try {
    const url = new URL(options.connectionString)
    return { host: url.hostname, port: Number(url.port || 5432) }
  } catch {
    return {}
  }
}

/**
 * A readiness check for a pool: one `SELECT 1`, abandoned at the check's timeout.
 * @example sightline.addCheck('postgres', postgresCheck(pool), { timeoutMs: 1000 })
 */
export function postgresCheck(pool: Pick<Pool, 'query'>): () => Promise<void> {
  return async () => {
    await pool.query('SELECT 1')
  }
}
