/**
 * @module instrumentations/ioredis/redis-cache
 * A cache over an ioredis client with the `get`/`set`/`del` that `instrumentCache` wraps: string
 * values under a key prefix (so that several services or tests share one Redis), an optional TTL.
 * A miss is `undefined`, which `instrumentCache` counts as `result="miss"`.
 */

/** The commands the cache sends. Structural: no ioredis type is published. */
export interface RedisCacheClient {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, secondsToken: 'EX', seconds: number): Promise<unknown>
  del(key: string): Promise<number>
}

export interface RedisCacheOptions {
  /** Put before every key, e.g. `app:`. */
  prefix: string
  /** Expiry of every `set` that gives none, in seconds. Default: none (keys stay until deleted). */
  ttlSeconds?: number
}

export class RedisCache {
  private readonly client: RedisCacheClient
  private readonly prefix: string
  private readonly ttlSeconds: number | undefined

  constructor(client: RedisCacheClient, options: RedisCacheOptions) {
    this.client = client
    this.prefix = options.prefix
    this.ttlSeconds = options.ttlSeconds
  }

  get(key: string): Promise<string | undefined> {
    return this.client.get(this.prefix + key).then(orUndefined)
  }

  /** `SET key value [EX ttlSeconds]`. */
  set(key: string, value: string, ttlSeconds: number | undefined = this.ttlSeconds): Promise<void> {
    const written =
      ttlSeconds === undefined
        ? this.client.set(this.prefix + key, value)
        : this.client.set(this.prefix + key, value, 'EX', ttlSeconds)
    return written.then(nothing)
  }

  del(key: string): Promise<void> {
    return this.client.del(this.prefix + key).then(nothing)
  }
}

/**
 * @example const cache = instrumentCache(redisCache(redis, { prefix: 'app:' }), { sightline, system: 'redis' })
 */
export function redisCache(client: RedisCacheClient, options: RedisCacheOptions): RedisCache {
  return new RedisCache(client, options)
}

function orUndefined(value: string | null): string | undefined {
  return value ?? undefined
}

function nothing(): void {}
