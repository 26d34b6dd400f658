/**
 * @module instrumentations/ioredis/cache
 * `redisCache(redis, options)`: redis-common's cache over an ioredis client, with ioredis' spelling
 * of the three commands (`set(key, value, 'EX', seconds)`).
 */
import { type CacheCommands, RedisCache, type RedisCacheOptions } from '../redis-common/cache.js'

/** The commands the cache sends. Structural: no ioredis type is published. */
export interface RedisCacheClient {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, secondsToken: 'EX', seconds: number): Promise<unknown>
  del(key: string): Promise<number>
}

/**
 * @example const cache = instrumentCache(redisCache(redis, { prefix: 'app:' }), { sightline, system: 'redis' })
 */
export function redisCache(client: RedisCacheClient, options: RedisCacheOptions): RedisCache {
  const commands: CacheCommands = {
    get: (key) => client.get(key),
    set: (key, value, ttlSeconds) =>
      ttlSeconds === undefined ? client.set(key, value) : client.set(key, value, 'EX', ttlSeconds),
    del: (key) => client.del(key),
  }
  return new RedisCache(commands, options)
}
