/**
 * @module test/data-layer/mysql2
 * `sightline/mysql2` on the real MariaDB: query spans under the request's server span, named by
 * operation and table, with no value anywhere (a secret bound as a parameter and another inlined in
 * the SQL); the histogram pg's queries use, by operation and error code; pool gauges that move; the
 * readiness check; a slow-query line with the caller's request id; promise and callback APIs.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import mysql from 'mysql2'
import mysqlPromise from 'mysql2/promise'
import { createSightline, type Sightline } from 'sightline'
import { instrumentMysql2, mysqlCheck, withoutLiterals } from 'sightline/mysql2'
import { METRIC_DB_DURATION, METRIC_POOL_COUNT, METRIC_POOL_MAX, METRIC_POOL_PENDING } from 'sightline/pg'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { MYSQL_URL } from './databases.js'

/** This run's table, so that runs (and other test files) never share one. */
const TABLE = `sightline_patients_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`
const INLINE = `inl1ne-${Math.random().toString(36).slice(2)}`
const SERVER = { host: new URL(MYSQL_URL).hostname, port: Number(new URL(MYSQL_URL).port || 3306) }

let receiver: OtlpReceiver
let logs: LogCapture
let sightline: Sightline
let tracing: Tracing
let pool: mysqlPromise.Pool

before(async () => {
  receiver = await new OtlpReceiver().start()
  logs = new LogCapture()
  sightline = createSightline({ service: 'mysql2-test', logDestination: logs, shutdown: { signals: false } })
  tracing = await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` })
  pool = instrumentMysql2(mysqlPromise.createPool({ uri: MYSQL_URL, connectionLimit: 4 }), {
    sightline,
    poolName: 'main',
  })
  const admin = await mysqlPromise.createConnection(MYSQL_URL)
  await admin.query(`CREATE TABLE ${TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), secret VARCHAR(64))`)
  await admin.end()
})
after(async () => {
  const admin = await mysqlPromise.createConnection(MYSQL_URL)
  await admin.query(`DROP TABLE IF EXISTS ${TABLE}`)
  await admin.end()
  await pool.end()
  await tracing.shutdown()
  await receiver.close()
})

/** Serves one request with `handler`, through Sightline's pipeline, with the given request id. */
async function serve(
  target: Sightline,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  requestId = 'mysql2-request',
): Promise<void> {
  const server = target.instrument(
    createServer((req, res) => {
      handler(req, res).catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/work`, {
      headers: { 'x-request-id': requestId },
    })
    assert.equal(reply.status, 200, await reply.text())
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

async function samples(target: Sightline = sightline) {
  return parseMetrics(await target.metrics.render(false))
}

function duration(
  from: ReturnType<typeof parseMetrics>,
  operation: string,
  collection: string,
  errorType = '',
  system = 'mysql',
): number {
  return (
    sampleValue(from, `${METRIC_DB_DURATION}_count`, {
      db_system_name: system,
      db_operation_name: operation,
      db_collection_name: collection,
      error_type: errorType,
    }) ?? 0
  )
}

test('queries are CLIENT spans under the server span, named by operation and table, with no value', async () => {
  await serve(sightline, async (_req, res) => {
    await pool.execute(`INSERT INTO ${TABLE} (name, secret) VALUES (?, ?)`, ['ann', SECRET])
    await pool.query(`SELECT id FROM ${TABLE} WHERE secret = ?`, [SECRET])
    await pool.query(`SELECT id FROM \`${TABLE}\` WHERE secret = '${INLINE}' AND id > 41`)
    await assert.rejects(pool.query(`SELECT name FROM ${TABLE}_missing WHERE secret = ?`, [SECRET]), {
      code: 'ER_NO_SUCH_TABLE',
    })
    const connection = await pool.getConnection()
    try {
      await connection.query(`UPDATE ${TABLE} SET name = ? WHERE secret = ?`, ['bob', SECRET])
    } finally {
      connection.release()
    }
    res.end('ok')
  })
  await tracing.forceFlush()
  const server = receiver.spans.find((s) => s.kind === 2)
  assert.ok(server, receiver.spans.map((s) => s.name).join(', '))
  const children = receiver.spans.filter((s) => s.parentSpanId === server.spanId)
  assert.deepEqual(
    children.map((s) => s.name),
    [`INSERT ${TABLE}`, `SELECT ${TABLE}`, `SELECT ${TABLE}`, `SELECT ${TABLE}_missing`, `UPDATE ${TABLE}`],
  )
  const select = children[1]!
  assert.equal(select.kind, 3, 'CLIENT')
  assert.equal(select.traceId, server.traceId)
  assert.deepEqual(select.attributes, {
    'db.system.name': 'mysql',
    'db.operation.name': 'SELECT',
    'db.query.text': `SELECT id FROM ${TABLE} WHERE secret = ?`,
    'db.collection.name': TABLE,
    'server.address': SERVER.host,
    'server.port': SERVER.port,
  })
  // The inlined literals are replaced as bound values would be.
  assert.equal(children[2]!.attributes['db.query.text'], `SELECT id FROM \`${TABLE}\` WHERE secret = ? AND id > ?`)
  const missing = children[3]!
  assert.equal(missing.status?.code, 2, 'ERROR')
  assert.equal(missing.attributes['error.type'], 'ER_NO_SUCH_TABLE')
  assert.equal(missing.attributes['db.response.status_code'], 'ER_NO_SUCH_TABLE')
  for (const secret of [SECRET, INLINE]) {
    assert.equal(JSON.stringify(receiver.spans).includes(secret), false, 'a value in a span')
    assert.equal(logs.raw.join('\n').includes(secret), false, 'a value in a log line')
  }
})

test('the duration histogram counts by operation, table and error code', async () => {
  const before = await samples()
  for (let i = 0; i < 3; i++) await pool.query(`SELECT COUNT(*) FROM ${TABLE} WHERE name = ?`, [`n${i}`])
  await pool.execute(`DELETE FROM ${TABLE} WHERE name = ?`, ['nobody'])
  await assert.rejects(pool.execute(`SELECT * FROM ${TABLE}_missing`), { code: 'ER_NO_SUCH_TABLE' })
  await assert.rejects(pool.query('SELEKT 1'), { code: 'ER_PARSE_ERROR' })
  const after = await samples()
  const grew = (operation: string, collection: string, errorType = '') =>
    duration(after, operation, collection, errorType) - duration(before, operation, collection, errorType)
  assert.equal(grew('SELECT', TABLE), 3)
  assert.equal(grew('DELETE', TABLE), 1)
  assert.equal(grew('SELECT', `${TABLE}_missing`, 'ER_NO_SUCH_TABLE'), 1)
  assert.equal(grew('_OTHER', '', 'ER_PARSE_ERROR'), 1)
})

test('pool gauges: two connections held of max 2, a third caller pending, then served', async () => {
  const small = instrumentMysql2(mysqlPromise.createPool({ uri: MYSQL_URL, connectionLimit: 2 }), {
    sightline,
    poolName: 'small',
  })
  const gauges = async () => {
    const now = await samples()
    const labels = { db_client_connection_pool_name: 'small' }
    return {
      used: sampleValue(now, METRIC_POOL_COUNT, { db_client_connection_state: 'used', ...labels }),
      idle: sampleValue(now, METRIC_POOL_COUNT, { db_client_connection_state: 'idle', ...labels }),
      max: sampleValue(now, METRIC_POOL_MAX, labels),
      pending: sampleValue(now, METRIC_POOL_PENDING, labels),
    }
  }
  try {
    const first = await small.getConnection()
    const second = await small.getConnection()
    const third = small.getConnection()
    assert.deepEqual(await gauges(), { used: 2, idle: 0, max: 2, pending: 1 })
    first.release()
    const served = await third
    await served.query('SELECT 1')
    assert.deepEqual(await gauges(), { used: 2, idle: 0, max: 2, pending: 0 })
    served.release()
    second.release()
    assert.deepEqual(await gauges(), { used: 0, idle: 2, max: 2, pending: 0 })
    const waits = sampleValue(await samples(), 'db_client_connection_wait_time_seconds_count', {
      db_client_connection_pool_name: 'small',
    })
    assert.equal(waits, 3)
  } finally {
    await small.end()
  }
})

test('a PoolCluster: every node a pool with its own gauges, one added later too, its queries counted and checked', async () => {
  const cluster = instrumentMysql2(mysqlPromise.createPoolCluster(), { sightline, poolName: 'cluster' })
  cluster.add('primary', { uri: MYSQL_URL, connectionLimit: 2 })
  const gauges = async (node: string) => {
    const now = await samples()
    const labels = { db_client_connection_pool_name: `cluster/${node}` }
    return {
      used: sampleValue(now, METRIC_POOL_COUNT, { db_client_connection_state: 'used', ...labels }),
      idle: sampleValue(now, METRIC_POOL_COUNT, { db_client_connection_state: 'idle', ...labels }),
      max: sampleValue(now, METRIC_POOL_MAX, labels),
    }
  }
  const before = await samples()
  try {
    // A node added after the cluster was instrumented (mysql2 makes its pool inside add()).
    cluster.add('replica', { uri: MYSQL_URL, connectionLimit: 3 })
    assert.deepEqual(await gauges('primary'), { used: 0, idle: 0, max: 2 })
    assert.deepEqual(await gauges('replica'), { used: 0, idle: 0, max: 3 })
    await cluster.of('primary').query(`SELECT name FROM ${TABLE} WHERE secret = ?`, [SECRET])
    const held = await cluster.getConnection('replica')
    assert.deepEqual(await gauges('replica'), { used: 1, idle: 0, max: 3 })
    await held.execute(`SELECT name FROM ${TABLE} WHERE id = ?`, [1])
    held.release()
    assert.deepEqual(await gauges('replica'), { used: 0, idle: 1, max: 3 })
    assert.deepEqual(await gauges('primary'), { used: 0, idle: 1, max: 2 })
    const after = await samples()
    assert.equal(duration(after, 'SELECT', TABLE) - duration(before, 'SELECT', TABLE), 2)
    await mysqlCheck(cluster)()
    // Instrumenting again changes nothing: each query is still counted once.
    instrumentMysql2(cluster, { sightline, poolName: 'cluster' })
    await cluster.of('replica').query(`SELECT name FROM ${TABLE}`)
    assert.equal(duration(await samples(), 'SELECT', TABLE) - duration(after, 'SELECT', TABLE), 1)
  } finally {
    await cluster.end()
  }
  const callbackCluster = instrumentMysql2(mysql.createPoolCluster(), { sightline, poolName: 'callback-cluster' })
  callbackCluster.add('only', { uri: MYSQL_URL, connectionLimit: 1 })
  try {
    await new Promise<void>((resolve, reject) =>
      callbackCluster.of('only').query('SELECT 1', (error) => (error ? reject(error) : resolve())),
    )
    assert.deepEqual(
      {
        idle: sampleValue(await samples(), METRIC_POOL_COUNT, {
          db_client_connection_state: 'idle',
          db_client_connection_pool_name: 'callback-cluster/only',
        }),
      },
      { idle: 1 },
    )
    await mysqlCheck(callbackCluster)()
  } finally {
    await new Promise<void>((resolve) => callbackCluster.end(() => resolve()))
  }
})

test('mysqlCheck runs SELECT 1 on a pool or a connection, and fails when the server is not there', async () => {
  await mysqlCheck(pool)()
  const callbackConnection = mysql.createConnection(MYSQL_URL)
  try {
    await mysqlCheck(callbackConnection)()
  } finally {
    callbackConnection.destroy()
  }
  const nowhere = mysqlPromise.createPool({ host: '127.0.0.1', port: 1, connectTimeout: 500 })
  try {
    await assert.rejects(mysqlCheck(nowhere)(), { code: 'ECONNREFUSED' })
  } finally {
    await nowhere.end()
  }
})

test("a slow query's line carries the caller's request id and the text without values (callback API)", async () => {
  const connection = instrumentMysql2(mysql.createConnection(MYSQL_URL), { sightline, slowQueryMs: 50 })
  try {
    await serve(
      sightline,
      async (_req, res) => {
        await new Promise<void>((resolve, reject) => {
          connection.query(`SELECT SLEEP(0.1), secret FROM ${TABLE} WHERE secret = ?`, [SECRET], (error) =>
            error ? reject(error) : resolve(),
          )
        })
        res.end('ok')
      },
      'mysql2-slow-1',
    )
    const line = await logs.waitFor((l) => l.msg === 'slow query')
    assert.equal(line.request_id, 'mysql2-slow-1')
    assert.equal(typeof line.trace_id, 'string')
    assert.equal(line.db_operation, 'SELECT')
    assert.equal(line.db_collection, TABLE)
    assert.equal(line.query, `SELECT SLEEP(?), secret FROM ${TABLE} WHERE secret = ?`)
    assert.ok((line.duration_ms as number) >= 50)
    assert.equal(logs.raw.join('\n').includes(SECRET), false)
  } finally {
    connection.destroy()
  }
})

test('the callback API: a pool and a connection, with callbacks and with events, each counted once', async () => {
  const quiet = createSightline({
    service: 'mysql2-callbacks',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const callbackPool = instrumentMysql2(mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 }), {
    sightline: quiet,
    system: 'mariadb',
  })
  const connection = instrumentMysql2(mysql.createConnection(MYSQL_URL), { sightline: quiet, system: 'mariadb' })
  const asPromise = (run: (done: (error: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) => run((error) => (error ? reject(error) : resolve())))
  try {
    await asPromise((done) => callbackPool.query(`SELECT * FROM ${TABLE} WHERE id = ?`, [1], done))
    await asPromise((done) => callbackPool.execute(`SELECT * FROM ${TABLE} WHERE id = ?`, [1], done))
    await asPromise((done) => connection.execute(`INSERT INTO ${TABLE} (name) VALUES (?)`, ['cb'], done))
    await asPromise((done) => connection.query(`SELECT * FROM ${TABLE}_missing`, done)).catch(() => {})
    // No callback: the command's events.
    await new Promise<void>((resolve) => connection.query(`SELECT * FROM ${TABLE}`).on('end', resolve))
    await new Promise<void>((resolve) =>
      connection
        .query(`SELECT * FROM ${TABLE}_missing`)
        .on('error', () => {})
        .on('end', resolve),
    )
    // The promise wrapper of an instrumented connection goes through the same connection.
    await connection.promise().query(`SELECT * FROM ${TABLE}`)
    const now = await samples(quiet)
    assert.equal(duration(now, 'SELECT', TABLE, '', 'mariadb'), 4)
    assert.equal(duration(now, 'INSERT', TABLE, '', 'mariadb'), 1)
    assert.equal(duration(now, 'SELECT', `${TABLE}_missing`, 'ER_NO_SUCH_TABLE', 'mariadb'), 2)
    assert.equal(duration(now, 'SELECT', TABLE), 0, 'no mysql series from this registry')
  } finally {
    connection.destroy()
    await new Promise((resolve) => callbackPool.end(resolve))
  }
})

test('withoutLiterals replaces strings, numbers and hex, keeps identifiers and placeholders', () => {
  assert.equal(
    withoutLiterals(
      `SELECT a1, \`t 2\`.b FROM t3 WHERE s = 'it''s \\' x' AND d = "q" AND n = -12.5e3 AND h = 0xFF AND x = X'0A' AND p = ?`,
    ),
    'SELECT a1, `t 2`.b FROM t3 WHERE s = ? AND d = ? AND n = -? AND h = ? AND x = ? AND p = ?',
  )
  assert.equal(withoutLiterals(`INSERT INTO t VALUES ('unterminated`), 'INSERT INTO t VALUES (…')
})
