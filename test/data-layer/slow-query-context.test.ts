/**
 * A slow-query line carries the ids of the request (and span) that ran the query, not of the one
 * that opened the pooled connection: `pg` settles a query from its socket's async context, made by
 * whichever request connected first. One connection (`max: 1`), sequential requests on the real
 * Postgres, the first opening the connection inside a manual span.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import { createSightline, type Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import { instrumentPool } from 'sightline/pg'
import { currentSpan, setupTracing, type Tracing, withSpan } from 'sightline/tracing'
import { LogCapture, type LogLine } from '../helpers/logs.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { createDatabase } from './databases.js'

const SLOW_QUERY = 'SELECT pg_sleep(0.03)'

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
    service: 'slow-queries',
    logFormat: 'json',
    logDestination: logs,
    shutdown: { signals: false },
  })
  tracing = await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` })
  pool = instrumentPool(new pg.Pool({ connectionString: database.url, max: 1 }), { sightline, slowQueryMs: 20 })
  app = Fastify({ logger: false })
  await app.register(sightlineFastify, { sightline })
  // The manual span's id is answered, so the test knows what the line should carry.
  app.get('/in-span', () =>
    withSpan('load', async () => {
      await pool.query(SLOW_QUERY)
      return { spanId: currentSpan()?.spanContext().spanId }
    }),
  )
  app.get('/plain', async () => {
    await pool.query(SLOW_QUERY)
    return {}
  })
  app.get('/client', async () => {
    const client = await pool.connect()
    try {
      await client.query(SLOW_QUERY)
    } finally {
      client.release()
    }
    return {}
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

/** The request's access line and slow-query line. */
async function linesOf(path: string, requestId: string): Promise<{ access: LogLine; slow: LogLine; body: unknown }> {
  const response = await fetch(`${url}${path}`, { headers: { 'x-request-id': requestId } })
  assert.equal(response.status, 200)
  const body = await response.json()
  const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === requestId)
  const slow = await logs.waitFor((l) => l.msg === 'slow query' && l.request_id === requestId)
  return { access, slow, body }
}

test("each request's slow query logs that request's trace and span ids, on one pooled connection", async () => {
  const first = await linesOf('/in-span', 'opens-connection')
  assert.equal(first.slow.trace_id, first.access.trace_id)
  assert.equal(first.slow.span_id, (first.body as { spanId: string }).spanId, 'the manual span the query ran in')

  for (const [path, requestId] of [
    ['/plain', 'plain-1'],
    ['/client', 'client-1'],
    ['/in-span', 'in-span-2'],
    ['/plain', 'plain-2'],
  ] as const) {
    const { access, slow, body } = await linesOf(path, requestId)
    assert.notEqual(slow.trace_id, first.access.trace_id, `${requestId}: the first request's trace`)
    assert.equal(slow.trace_id, access.trace_id, requestId)
    const spanId = path === '/in-span' ? (body as { spanId: string }).spanId : access.span_id
    assert.equal(slow.span_id, spanId, requestId)
  }
})

test('a slow query outside any request carries no request ids, though its connection was opened by one', async () => {
  await pool.query(SLOW_QUERY)
  const line = await logs.waitFor((l) => l.msg === 'slow query' && l.request_id === undefined)
  assert.equal(line.trace_id, undefined)
  assert.equal(line.span_id, undefined)
})
