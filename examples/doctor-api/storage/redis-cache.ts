/**
 * @module doctor-api/storage/redis-cache
 * The cache on Redis (REDIS_URL). Commands fail fast when Redis is away (no offline queue, a short
 * command timeout), so a cache outage costs a few milliseconds and a fallback to the database.
 */
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Cache } from './cache.js'

export class RedisCache implements Cache {
  readonly system = 'redis'
  private readonly client: Redis
  private readonly prefix: string

  constructor(url: string, logger: Logger, options: { prefix?: string; commandTimeoutMs?: number } = {}) {
    this.prefix = options.prefix ?? 'doctor-api:'
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? 300,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    })
    let up = true
    this.client.on('error', (error) => {
      // Reported once per outage; ioredis reconnects by itself.
      if (up) logger.warn({ err: error }, 'cache connection lost')
      up = false
    })
    this.client.on('ready', () => {
      if (!up) logger.info('cache connection restored')
      up = true
    })
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(this.prefix + key)) ?? undefined
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.prefix + key, value, 'EX', ttlSeconds)
  }

  async del(key: string): Promise<void> {
    await this.client.del(this.prefix + key)
  }

  async ping(): Promise<void> {
    await this.client.ping()
  }

  async close(): Promise<void> {
    this.client.disconnect()
  }
}
