/**
 * @module instrumentations/mysql2/cluster
 * A core mysql2 `PoolCluster`: every node's pool instrumented as a pool is (pool.ts), those there
 * when it is instrumented and those `add()`ed later. mysql2 makes each node's pool itself, inside
 * `add(id, config)`, and keeps it where internals/mysql2 reads it; every query of the cluster, its
 * namespaces (`of(pattern)`) and their connections goes through a node pool's `getConnection`.
 */
import type { Sightline } from '../../core/sightline.js'
import { mysql2ClusterNodes } from '../../internals/mysql2.js'

/** The part of a core mysql2 pool cluster Sightline uses. Structural: no mysql2 type is published. */
export interface Mysql2CoreCluster {
  add(...args: never[]): unknown
  of(...args: never[]): unknown
}

const kInstrumented = Symbol('sightline.mysql2.cluster')
type Marked = { [kInstrumented]?: true }
type Add = (this: unknown, ...args: unknown[]) => unknown

export function isCoreCluster(value: unknown): value is Mysql2CoreCluster {
  const cluster = value as { add?: unknown; of?: unknown } | null | undefined
  return (
    typeof cluster?.add === 'function' &&
    typeof cluster.of === 'function' &&
    mysql2ClusterNodes(cluster as object) !== undefined
  )
}

/**
 * Hands every node's pool, now and when added, to `instrumentPool` (which skips a pool it has
 * already instrumented), with the node's id. `wrapper` is the promise cluster given, if one was:
 * its `add` calls the core class's prototype method on the core cluster, past an instance's own, so
 * it is pointed at the core cluster's wrapped `add`.
 */
export function instrumentCluster(
  cluster: Mysql2CoreCluster,
  wrapper: object | undefined,
  sightline: Sightline,
  instrumentPool: (pool: object, id: string) => void,
): void {
  if (wrapper !== undefined && wrapper !== cluster && typeof (wrapper as { add?: unknown }).add === 'function') {
    ;(wrapper as { add: Add }).add = function add(...args) {
      return (cluster.add as unknown as Add).apply(cluster, args)
    }
  }
  if ((cluster as Mysql2CoreCluster & Marked)[kInstrumented]) return
  ;(cluster as Mysql2CoreCluster & Marked)[kInstrumented] = true
  const each = () => {
    for (const node of mysql2ClusterNodes(cluster) ?? []) instrumentPool(node.pool, node.id)
  }
  each()
  const original = cluster.add as unknown as Add
  const add: Add = function add(this: unknown, ...args) {
    const result = original.apply(this, args)
    try {
      each()
    } catch (failure) {
      sightline.report(failure, 'mysql2.cluster.add')
    }
    return result
  }
  ;(cluster as unknown as { add: Add }).add = add
}
