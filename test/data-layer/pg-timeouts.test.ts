/**
 * pg's and pg-pool's timeouts on the real Postgres, as the metrics label them: a connection wait or
 * connect that times out counts in `db_client_connection_timeouts_total` (and an error that only
 * says "timeout" does not), a query Postgres cancels is `error_type="57014"`, one pg gives up on by
 * its own `query_timeout` is `error_type="timeout"`, never the class name `Error`, whichever of
 * doctor-api's (equal) limits fires first.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { openPostgres } from '@sightline/doctor-api/storage/postgres.js'
import pg from 'pg'
import { createSightline, type Sightline } from 'sightline'
import { instrumentPool } from 'sightline/pg'
import { FaultProxy } from '../helpers/fault-proxy.js'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { createDatabase, viaProxy } from './databases.js'

let database: Awaited<ReturnType<typeof createDatabase>>
let proxy: FaultProxy
let sightline: Sightline
const pools: pg.Pool[] = []

before(async () => {
  database = await createDatabase()
  const url = new URL(database.url)
  proxy = await new FaultProxy(url.hostname, Number(url.port || 5432)).start()
  sightline = createSightline({
    service: 'pg-timeouts',
    logFormat: 'json',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
})
after(async () => {
  proxy.set('pass')
  await Promise.all(pools.map((pool) => pool.end().catch(() => {})))
  await proxy.close()
  await sightline.close()
  await database.drop()
})

function pool(poolName: string, config: pg.PoolConfig & { onConnect?: (client: pg.PoolClient) => Promise<void> }) {
  const made = instrumentPool(new pg.Pool({ connectionString: database.url, ...config }), { sightline, poolName })
  made.on('error', () => {})
  pools.push(made)
  return made
}

async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  return sampleValue(parseMetrics(await sightline.metrics.render(false)), name, labels)
}

const poolTimeouts = (poolName: string) =>
  metric('db_client_connection_timeouts_total', { db_client_connection_pool_name: poolName })

const queriesFailedWith = (errorType: string) =>
  metric('db_client_operation_duration_seconds_count', { db_operation_name: 'SELECT', error_type: errorType })

test('waiting on a full pool past connectionTimeoutMillis is a pool timeout', async () => {
  const full = pool('full', { max: 1, connectionTimeoutMillis: 1000 })
  const held = await full.connect()
  try {
    await assert.rejects(full.query('SELECT 1'))
  } finally {
    held.release()
  }
  assert.equal(await poolTimeouts('full'), 1)
})

test('a new connection not opened within connectionTimeoutMillis is a pool timeout', async () => {
  const hung = pool('hung', {
    connectionString: viaProxy(database.url, proxy.port),
    max: 1,
    connectionTimeoutMillis: 200,
  })
  proxy.set('blackhole')
  try {
    await assert.rejects(hung.query('SELECT 1'))
  } finally {
    proxy.set('pass')
  }
  assert.equal(await poolTimeouts('hung'), 1)
})

test('a connect failing fast on an error whose message says "timeout" is not a pool timeout', async () => {
  // Postgres' 57014 reads 'canceling statement due to statement timeout': a matched word, not a wait.
  const hooked = pool('hooked', {
    max: 1,
    connectionTimeoutMillis: 2000,
    onConnect: async (client) => {
      await client.query('SET statement_timeout = 1')
      await client.query('SELECT pg_sleep(0.2)')
    },
  })
  await assert.rejects(hooked.query('SELECT 1'), /statement timeout/)
  assert.equal(await poolTimeouts('hooked'), 0)
})

test("doctor-api's settings (query_timeout equal to statement_timeout): a timed-out query is labelled as one", async () => {
  const timedOut = async () => ((await queriesFailedWith('57014')) ?? 0) + ((await queriesFailedWith('timeout')) ?? 0)
  const before = await timedOut()
  const db = openPostgres(database.url, sightline, { queryTimeoutMs: 300, max: 1 })
  try {
    await assert.rejects(db.query('SELECT pg_sleep(2)'))
  } finally {
    await db.close()
  }
  assert.equal(await timedOut(), before + 1)
  assert.equal(await queriesFailedWith('Error'), undefined)
})

test("pg's own query_timeout ending a query nobody answers is error_type timeout, not Error", async () => {
  const stuck = pool('stuck', {
    connectionString: viaProxy(database.url, proxy.port),
    max: 1,
    statement_timeout: 300,
    query_timeout: 800,
  })
  await stuck.query('SELECT 1')
  const before = (await queriesFailedWith('timeout')) ?? 0
  proxy.set('blackhole')
  try {
    await assert.rejects(stuck.query('SELECT pg_sleep(0)'), /Query read timeout/)
  } finally {
    proxy.set('pass')
  }
  assert.equal(await queriesFailedWith('timeout'), before + 1)
  assert.equal(await queriesFailedWith('Error'), undefined)
})

test('equal query_timeout and statement_timeout: whichever fires first, the label says timeout', async () => {
  const equal = pool('equal', { max: 1, statement_timeout: 300, query_timeout: 300 })
  const before57014 = (await queriesFailedWith('57014')) ?? 0
  const beforeTimeout = (await queriesFailedWith('timeout')) ?? 0
  await assert.rejects(equal.query('SELECT pg_sleep(2)'))
  const after57014 = (await queriesFailedWith('57014')) ?? 0
  const afterTimeout = (await queriesFailedWith('timeout')) ?? 0
  assert.equal(after57014 - before57014 + afterTimeout - beforeTimeout, 1)
  assert.equal(await queriesFailedWith('Error'), undefined)
})
