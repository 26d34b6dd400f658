/**
 * @module instrumentations/redis-common/cache
 * A cache over a Redis client with the `get`/`set`/`del` that `instrumentCache` wraps: string
 * values under a key prefix (so that several services or tests share one Redis), an optional TTL.
 * A miss is `undefined`, which `instrumentCache` counts as `result="miss"`. The client is reached
 * through `CacheCommands`, the three calls each client spells its own way (ioredis'
 * `set(k, v, 'EX', s)`, node-redis' `set(k, v, { expiration })`); `sightline/ioredis` and
 * `sightline/node-redis` each give theirs to `redisCache`.
 */

/** The three commands the cache sends, as one client spells them. */
export interface CacheCommands {
  get(key: string): Promise<unknown>
  /** `SET key value`, with `EX ttlSeconds` when given. */
  set(key: string, value: string, ttlSeconds: number | undefined): Promise<unknown>
  del(key: string): Promise<unknown>
}

export interface RedisCacheOptions {
  /** Put before every key, e.g. `app:`. */
  prefix: string
  /** Expiry of every `set` that gives none, in seconds. Default: none (keys stay until deleted). */
  ttlSeconds?: number
}

export class RedisCache {
  private readonly commands: CacheCommands
  private readonly prefix: string
  private readonly ttlSeconds: number | undefined

  constructor(commands: CacheCommands, options: RedisCacheOptions) {
    this.commands = commands
    this.prefix = options.prefix
    this.ttlSeconds = options.ttlSeconds
  }

  get(key: string): Promise<string | undefined> {
    return this.commands.get(this.prefix + key).then(orUndefined)
  }

  /** `SET key value [EX ttlSeconds]`: the call's TTL, else the option's, else none. */
  set(key: string, value: string, ttlSeconds: number | undefined = this.ttlSeconds): Promise<void> {
    return this.commands.set(this.prefix + key, value, ttlSeconds).then(nothing)
  }

  del(key: string): Promise<void> {
    return this.commands.del(this.prefix + key).then(nothing)
  }
}

/** A string reply as the cache's value; `null` (no such key) is a miss. A Buffer reply is read as UTF-8. */
function orUndefined(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  return typeof value === 'string' ? value : String(value)
}

function nothing(): void {}
