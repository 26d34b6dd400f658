/**
 * A request that fails on a database error, on the real Postgres: the server span's exception event
 * says what failed (type, a message, the SQLSTATE) without the value Postgres quoted back, and the
 * query's client span carries the SQLSTATE as `db.response.status_code`.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import { createSightline, type Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import { instrumentPool } from 'sightline/pg'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { createDatabase } from './databases.js'

/** A value from the request body that Postgres quotes back in its message. */
const SECRET = 'LEAK-4711'

let database: Awaited<ReturnType<typeof createDatabase>>
let receiver: OtlpReceiver
let sightline: Sightline
let tracing: Tracing
let pool: pg.Pool
let app: FastifyInstance
let url: string
const logs = new LogCapture()

before(async () => {
  database = await createDatabase()
  receiver = await new OtlpReceiver().start()
  sightline = createSightline({
    service: 'db-errors',
    logFormat: 'json',
    logDestination: logs,
    shutdown: { signals: false },
  })
  tracing = await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` })
  pool = instrumentPool(new pg.Pool({ connectionString: database.url, max: 2 }), { sightline })
  app = Fastify({ logger: false })
  await app.register(sightlineFastify, { sightline })
  app.post('/doses', async (request) => {
    const { amount } = request.body as { amount: string }
    const result = await pool.query('SELECT $1::int AS amount', [amount])
    return result.rows[0]
  })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
})
after(async () => {
  await app.close()
  await pool.end()
  await tracing.shutdown()
  await sightline.close()
  await receiver.close()
  await database.drop()
})

test('a database error is recorded with its type and SQLSTATE, never the value Postgres quoted', async () => {
  const response = await fetch(`${url}/doses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'db-error-1' },
    body: JSON.stringify({ amount: SECRET }),
  })
  assert.equal(response.status, 500)
  const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'db-error-1')
  await tracing.forceFlush()
  const server = receiver.byName('POST /doses').find((s) => s.traceId === access.trace_id)
  assert.ok(server, receiver.spans.map((s) => s.name).join(', '))
  assert.equal(server.status?.code, 2, 'ERROR')
  assert.equal(server.attributes['error.type'], 'DatabaseError')
  const event = server.events?.find((e) => e.name === 'exception')
  assert.ok(event)
  const attributes = Object.fromEntries((event.attributes ?? []).map((a) => [a.key, a.value.stringValue]))
  assert.equal(attributes['exception.type'], 'DatabaseError')
  assert.equal(attributes['exception.message'], 'database error SQLSTATE 22P02')
  assert.equal(attributes['db.response.status_code'], '22P02', 'invalid_text_representation')

  const query = receiver.spans.find((s) => s.parentSpanId === server.spanId && s.name === 'SELECT')
  assert.ok(query)
  assert.equal(query.attributes['db.response.status_code'], '22P02')
  assert.equal(query.attributes['error.type'], '22P02')

  assert.equal(JSON.stringify(receiver.spans).includes(SECRET), false, 'the value in a span')
  assert.equal(logs.raw.join('\n').includes(SECRET), false, 'the value in a log line')
  const { fingerprint, frame, ...err } = access.err as Record<string, unknown>
  assert.deepEqual(err, { type: 'DatabaseError', message: 'database error SQLSTATE 22P02', code: '22P02' })
  // Grouped by type, SQLSTATE and where it was raised (core/error-groups), on the line and the span alike.
  assert.match(String(fingerprint), /^[0-9a-f]{16}$/)
  assert.equal(attributes['sightline.error.fingerprint'], fingerprint)
  assert.equal(typeof frame, 'string')
})
