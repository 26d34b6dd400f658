/**
 * @module instrumentations/node-redis/cache
 * `redisCache(client, options)`: redis-common's cache over a node-redis client, with node-redis'
 * spelling of the three commands (`set(key, value, { expiration: { type: 'EX', value } })`).
 */
import { type CacheCommands, RedisCache, type RedisCacheOptions } from '../redis-common/cache.js'

/** The commands the cache sends. Structural: no node-redis type is published. */
export interface NodeRedisCacheClient {
  get(key: string): Promise<unknown>
  set(key: string, value: string, options?: { expiration: { type: 'EX'; value: number } }): Promise<unknown>
  del(key: string): Promise<unknown>
}

/**
 * @example const cache = instrumentCache(redisCache(client, { prefix: 'app:' }), { sightline, system: 'redis' })
 */
export function redisCache(client: NodeRedisCacheClient, options: RedisCacheOptions): RedisCache {
  const commands: CacheCommands = {
    get: (key) => client.get(key),
    set: (key, value, ttlSeconds) =>
      ttlSeconds === undefined
        ? client.set(key, value)
        : client.set(key, value, { expiration: { type: 'EX', value: ttlSeconds } }),
    del: (key) => client.del(key),
  }
  return new RedisCache(commands, options)
}
