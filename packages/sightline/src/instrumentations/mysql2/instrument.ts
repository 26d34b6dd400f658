/**
 * @module instrumentations/mysql2/instrument
 * `instrumentMysql2(poolOrConnection)`: a mysql2 pool, pool cluster or connection, promise or callback API,
 * recorded as `sightline/pg` records a pg pool — the same histogram, spans, slow-query lines and
 * pool gauges — with `db.system.name` `mysql` (or `mariadb`). The object given is changed in place
 * (its core pool's `getConnection`, each cluster node's pool's, or its core connection's `query` and
 * `execute`) and returned.
 *
 * Why the instance and not mysql2's `mysql2:query` tracing channel (3.x): the channel is
 * process-wide and its events do not say which pool sent a query, so two pools (or one instrumented,
 * one not) could not be told apart.
 */
import { getSightline } from '../../core/default.js'
import { SightlineError } from '../../core/errors.js'
import { type DB_SYSTEM_NAME_VALUE_MARIADB, DB_SYSTEM_NAME_VALUE_MYSQL } from '../../core/semconv.js'
import type { Sightline } from '../../core/sightline.js'
import { type QueryMeta, QueryRecorder } from '../pg/query.js'
import { instrumentCluster, isCoreCluster, type Mysql2CoreCluster } from './cluster.js'
import { instrumentConnection, type Mysql2CoreConnection } from './connection.js'
import { MYSQL_ERRORS } from './errors.js'
import { instrumentCorePool, type Mysql2CorePool } from './pool.js'
import { Statements } from './statements.js'

/**
 * Anything of mysql2's with a `query`: a `Pool`, `Connection` or `PoolConnection`, or their
 * promise wrappers. Structural, so that the published types name no mysql2 type.
 */
export interface Mysql2Queryable {
  query(...args: never[]): unknown
}

export interface Mysql2InstrumentationOptions {
  sightline?: Sightline
  /** `db_client_connection_pool_name` of a pool's gauges; a cluster node's is `poolName/nodeId`. Default `default`. */
  poolName?: string
  /** Queries at least this slow get a `slow query` warning line. Default 500 ms. */
  slowQueryMs?: number
  /** `db.system.name`: the server is MySQL or MariaDB (mysql2 speaks to both). Default `mysql`. */
  system?: typeof DB_SYSTEM_NAME_VALUE_MYSQL | typeof DB_SYSTEM_NAME_VALUE_MARIADB
}

const TRACER = 'sightline-mysql2'
const kInstrumented = Symbol('sightline.mysql2.target')
type Marked = { [kInstrumented]?: true }

/** A mysql2 `PoolCluster`, callback or promise API. Structural, as `Mysql2Queryable`. */
export interface Mysql2Cluster {
  of(...args: never[]): unknown
  getConnection(...args: never[]): unknown
}

/**
 * The core object behind what was given: promise wrappers keep theirs as `.pool` / `.connection` /
 * `.poolCluster`.
 */
export type Mysql2Core =
  | { pool: Mysql2CorePool }
  | { connection: Mysql2CoreConnection }
  | { cluster: Mysql2CoreCluster }
type PoolOrConnection = Exclude<Mysql2Core, { cluster: Mysql2CoreCluster }>

export function coreOf(target: object): Mysql2Core | undefined {
  const t = target as {
    pool?: unknown
    connection?: unknown
    getConnection?: unknown
    execute?: unknown
    config?: unknown
    poolCluster?: unknown
  }
  if (isCoreCluster(t.poolCluster)) return { cluster: t.poolCluster }
  if (isCoreCluster(t)) return { cluster: t }
  if (isCorePool(t.pool)) return { pool: t.pool }
  if (isCorePool(t)) return { pool: t }
  if (isCoreConnection(t.connection)) return { connection: t.connection }
  if (isCoreConnection(t)) return { connection: t }
  return undefined
}

function isCorePool(value: unknown): value is Mysql2CorePool {
  const pool = value as { getConnection?: unknown; config?: { connectionConfig?: unknown } } | null | undefined
  return typeof pool?.getConnection === 'function' && typeof pool.config?.connectionConfig === 'object'
}

function isCoreConnection(value: unknown): value is Mysql2CoreConnection {
  const connection = value as { query?: unknown; execute?: unknown; config?: unknown } | null | undefined
  return (
    typeof connection?.query === 'function' &&
    typeof connection.execute === 'function' &&
    typeof connection.config === 'object'
  )
}

/**
 * @example
 * const pool = instrumentMysql2(mysql.createPool({ uri: process.env.MYSQL_URL, connectionLimit: 10 }), { sightline })
 */
export function instrumentMysql2<T extends Mysql2Queryable | Mysql2Cluster>(
  target: T,
  options: Mysql2InstrumentationOptions = {},
): T {
  const core = coreOf(target)
  if (core === undefined) {
    throw new SightlineError(
      'SIGHTLINE_ERR_INVALID_OPTION',
      'instrumentMysql2 takes a mysql2 Pool, PoolCluster or Connection (callback or promise API)',
    )
  }
  const sightline = options.sightline ?? getSightline()
  const poolName = options.poolName ?? 'default'
  if ('cluster' in core) {
    // One pool per node, each with its own gauges: `main/replica1`.
    instrumentCluster(core.cluster, target, sightline, (pool, id) => {
      if (isCorePool(pool)) instrumentCore({ pool }, options, sightline, `${poolName}/${id}`)
    })
  } else {
    instrumentCore(core, options, sightline, poolName)
  }
  return target
}

function instrumentCore(
  core: PoolOrConnection,
  options: Mysql2InstrumentationOptions,
  sightline: Sightline,
  poolName: string,
): void {
  const inner = ('pool' in core ? core.pool : core.connection) as object & Marked
  if (inner[kInstrumented]) return
  inner[kInstrumented] = true
  const config = 'pool' in core ? core.pool.config.connectionConfig : (core.connection.config ?? {})
  // A unix socket's path is its address (semantic conventions), with no port. Never the URI or password.
  const server =
    config.socketPath !== undefined
      ? { host: config.socketPath }
      : { host: config.host ?? 'localhost', port: Number(config.port ?? 3306) }
  const meta: QueryMeta = {
    system: options.system ?? DB_SYSTEM_NAME_VALUE_MYSQL,
    ...server,
    slowQueryMs: options.slowQueryMs ?? 500,
    tracer: TRACER,
    parse: new Statements().parse,
    errors: MYSQL_ERRORS,
  }
  const recorder = new QueryRecorder(sightline, meta)
  if ('pool' in core) instrumentCorePool(core.pool, recorder, sightline, poolName)
  else instrumentConnection(core.connection, recorder)
}
