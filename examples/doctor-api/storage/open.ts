/**
 * @module doctor-api/storage/open
 * Picks the storage from the environment: Postgres when DATABASE_URL is set, else embedded PGlite;
 * Redis when REDIS_URL is set, else memory. Both instrumented the same way, so the same metrics and
 * spans come out either way.
 */
import type { Sightline } from 'sightline'
import { instrumentCache } from 'sightline/cache'
import { instrumentQuery, QueryRecorder } from 'sightline/pg'
import { type Cache, MemoryCache } from './cache.js'
import { type Database, openPglite } from './database.js'
import { openPostgres, type PostgresOptions } from './postgres.js'
import { RedisCache } from './redis-cache.js'

export interface StorageOptions {
  databaseUrl?: string
  redisUrl?: string
  pgliteDir?: string
  postgres?: PostgresOptions
  redisPrefix?: string
  /** Longest a Redis command may take before the cache counts as away (RedisCache's default: 300 ms). */
  cacheTimeoutMs?: number
  slowQueryMs?: number
  /** Instrument the database and cache (default); false only to measure what that costs (bench/). */
  instrument?: boolean
}

export async function openStorage(
  sightline: Sightline,
  options: StorageOptions,
): Promise<{ db: Database; cache: Cache }> {
  const instrument = options.instrument !== false
  let db: Database
  if (options.databaseUrl) {
    db = openPostgres(options.databaseUrl, sightline, {
      slowQueryMs: options.slowQueryMs,
      instrument,
      ...options.postgres,
    })
  } else {
    db = await openPglite(options.pgliteDir)
    if (instrument) {
      const recorder = new QueryRecorder(sightline, { system: 'postgresql', slowQueryMs: options.slowQueryMs ?? 500 })
      db.query = instrumentQuery(db.query, recorder)
    }
  }
  const raw = options.redisUrl
    ? new RedisCache(options.redisUrl, sightline.logger, {
        prefix: options.redisPrefix,
        commandTimeoutMs: options.cacheTimeoutMs,
      })
    : new MemoryCache()
  const cache = instrument ? instrumentCache(raw, { sightline, system: raw.system }) : raw
  return { db, cache }
}
