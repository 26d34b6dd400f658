/**
 * @module internals/mysql2
 * The one place Sightline reads mysql2's private pool fields. mysql2's pool has no public count
 * of its connections or waiters, and its events cannot stand in for one: a connection handed
 * straight from a release to a waiter emits neither 'release' nor 'acquire', and a connection
 * dropped (an error, the idle timeout) emits nothing. internals/canary.test.ts fails, naming the
 * field, when an upgrade changes them.
 */

/** What a core mysql2 pool (`mysql.createPool()`, or a promise pool's `.pool`) keeps, as read here. */
interface PoolFields {
  _allConnections?: { length?: unknown }
  _freeConnections?: { length?: unknown }
  _connectionQueue?: { length?: unknown }
  config?: { connectionLimit?: unknown }
}

export interface Mysql2PoolState {
  /** Connections open or being opened, in use or idle. */
  total: number
  idle: number
  /** Callers waiting for a connection. */
  pending: number
  /** `connectionLimit`; 0 is mysql2's "no limit". */
  max: number
}

/** The pool's counts now, or undefined when mysql2 no longer keeps them where they were. */
export function mysql2PoolState(pool: object): Mysql2PoolState | undefined {
  const fields = pool as PoolFields
  const total = fields._allConnections?.length
  const idle = fields._freeConnections?.length
  const pending = fields._connectionQueue?.length
  const max = fields.config?.connectionLimit
  if (typeof total !== 'number' || typeof idle !== 'number' || typeof pending !== 'number') return undefined
  return { total, idle, pending, max: typeof max === 'number' ? max : 10 }
}

/** What a core mysql2 `PoolCluster` keeps of its nodes, as read here. */
interface ClusterFields {
  _nodes?: Record<string, { id?: unknown; pool?: unknown } | undefined>
}

/**
 * The nodes of a core mysql2 pool cluster (`mysql.createPoolCluster()`, or a promise cluster's
 * `.poolCluster`), each with the pool mysql2 made for it; undefined when mysql2 no longer keeps them
 * where they were. mysql2 has no public list of them: `add(id, config)` makes the pool itself.
 */
export function mysql2ClusterNodes(cluster: object): { id: string; pool: object }[] | undefined {
  const nodes = (cluster as ClusterFields)._nodes
  if (typeof nodes !== 'object' || nodes === null) return undefined
  const out: { id: string; pool: object }[] = []
  for (const id of Object.keys(nodes)) {
    const pool = nodes[id]?.pool
    if (typeof pool === 'object' && pool !== null) out.push({ id, pool })
  }
  return out
}
