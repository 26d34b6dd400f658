/**
 * @module internals/node-redis
 * The one place Sightline relies on node-redis' (the `redis` package, 5.x and 6.x) internals.
 * `createClient()` hands out `Object.create(instance)`, and `withCommandOptions()`/`withTypeMapping()`
 * more objects made from the instance, so what is changed is the instance, `client._self`: every
 * one of them inherits it. A MULTI and a pipeline do not go through `sendCommand` but through the
 * instance's `_executeMulti` and `_executePipeline`, which `multi()` binds when it is called.
 * internals/canary.test.ts fails, naming the field, when an upgrade changes them.
 */

/** The methods a MULTI (`multi().exec()`) and a pipeline (`multi().execAsPipeline()`) end in. */
export const NODE_REDIS_MULTI = '_executeMulti'
export const NODE_REDIS_PIPELINE = '_executePipeline'

/** The client instance behind what `createClient()` returned, or the object itself if it is one. */
export function nodeRedisInstance(client: object): object {
  const self = (client as { _self?: unknown })._self
  return typeof self === 'object' && self !== null ? self : client
}

/** True when `instance` has both batch methods where Sightline wraps them. */
export function hasBatchMethods(instance: object): boolean {
  const fields = instance as Record<string, unknown>
  return typeof fields[NODE_REDIS_MULTI] === 'function' && typeof fields[NODE_REDIS_PIPELINE] === 'function'
}
