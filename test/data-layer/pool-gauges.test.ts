/**
 * @module test/data-layer/pool-gauges
 * Every pool's gauges are reported, however many pools share the metrics: two pg pools and a
 * mysql2 pool in one application each have their own used/idle/max/pending series, read at scrape
 * time. (The gauges' `collect` kept the first pool's only: the second pool was never reported.)
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { createSightline } from 'sightline'
import { instrumentMysql2 } from 'sightline/mysql2'
import { instrumentPool } from 'sightline/pg'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { MYSQL_URL, POSTGRES_URL } from './databases.js'

test('two pg pools and a mysql2 pool: each reports its own gauges', async () => {
  const sightline = createSightline({
    service: 'pools',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const orders = instrumentPool(new pg.Pool({ connectionString: POSTGRES_URL, max: 3 }), {
    sightline,
    poolName: 'orders',
  })
  const billing = instrumentPool(new pg.Pool({ connectionString: POSTGRES_URL, max: 5 }), {
    sightline,
    poolName: 'billing',
  })
  const legacy = instrumentMysql2(mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 }), {
    sightline,
    poolName: 'legacy',
  })
  const held = await orders.connect()
  try {
    await billing.query('SELECT 1')
    await legacy.query('SELECT 1')
    const samples = parseMetrics(await sightline.metrics.render(false))
    const gauge = (name: string, pool: string, state?: string) =>
      sampleValue(samples, name, {
        db_client_connection_pool_name: pool,
        ...(state === undefined ? {} : { db_client_connection_state: state }),
      })
    assert.equal(gauge('db_client_connection_max', 'orders'), 3)
    assert.equal(gauge('db_client_connection_max', 'billing'), 5)
    assert.equal(gauge('db_client_connection_max', 'legacy'), 2)
    assert.equal(gauge('db_client_connection_count', 'orders', 'used'), 1)
    assert.equal(gauge('db_client_connection_count', 'billing', 'idle'), 1)
    assert.equal(gauge('db_client_connection_count', 'legacy', 'idle'), 1)
  } finally {
    held.release()
    await orders.end()
    await billing.end()
    await legacy.end()
    await sightline.close()
  }
})
