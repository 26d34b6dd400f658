// @module bench/servers/doctor-api
// doctor-api's realistic route, GET /api/patients/:id (a Redis cache in front of Postgres), with all of
// Sightline (BENCH_MODE=sightline-trace: plugin, instrumented pool and cache, tracing from the OTEL_* env),
// the same without tracing (BENCH_MODE=sightline), or without Sightline (BENCH_MODE=bare: the same app,
// storage and handlers, nothing registered or wrapped).
// Storage: BENCH_DATABASE_URL / BENCH_REDIS_URL, else TEST_DATABASE_URL / TEST_REDIS_URL, else the
// machine's own Postgres and Redis on their standard ports. The tables live in their own database.

import { buildApp } from '@sightline/doctor-api/app.js'
import { migrate } from '@sightline/doctor-api/storage/migrations.js'
import { openStorage } from '@sightline/doctor-api/storage/open.js'
import pg from 'pg'
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { mode, port } from './modes.mjs'

export const BENCH_PATIENT_ID = 424242
const DATABASE = 'sightline_bench'
const SLOW_TIMEOUT_MS = 60_000
const serverUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function benchDatabaseUrl() {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${DATABASE}`)
  } catch (error) {
    // 42P04: it exists already; 23505: another bench server created it at the same moment (two
    // servers of one run start at once, and on a fresh machine both find no database).
    if (error.code !== '42P04' && error.code !== '23505') throw error
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${DATABASE}`
  return url.toString()
}

const instrument = mode !== 'bare'
const sightline = createSightline({
  service: 'doctor-api-bench',
  logFormat: 'json',
  shutdown: { signals: false },
  ...(instrument ? {} : { accessLog: false, metrics: false }),
})
if (mode === 'sightline-trace') await setupTracing(sightline)
const { db, cache } = await openStorage(sightline, {
  databaseUrl: await benchDatabaseUrl(),
  redisUrl,
  redisPrefix: `bench:${process.pid}:`,
  instrument,
  // Timeouts no wall-clock run comes near, but a server under callgrind (~50x slower) would:
  // a cache command past 300 ms falls back to the database, a connection past 2 s answers 503,
  // and either turns the counted route into another one.
  cacheTimeoutMs: SLOW_TIMEOUT_MS,
  postgres: { queryTimeoutMs: SLOW_TIMEOUT_MS, connectTimeoutMs: SLOW_TIMEOUT_MS },
})
// Two servers of one run may start at once: a migration race is retried, not fatal.
await migrate(db).catch(() => migrate(db))
await db.query(
  `INSERT INTO patients (id, name, email, date_of_birth) VALUES ($1, 'Bench Patient', 'bench@example.com', '1980-01-01')
   ON CONFLICT (id) DO NOTHING`,
  [BENCH_PATIENT_ID],
)
const app = await buildApp({ sightline, db, cache, instrument })
await app.listen({ port, host: '127.0.0.1' })
