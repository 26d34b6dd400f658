/**
 * Database and cache spans on the real servers: children of the request's server span, with the
 * semantic-convention attributes and the parameterised query text, exported over real OTLP.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { type DoctorApi, startDoctorApi } from '../doctor-api/harness.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { createDatabase, REDIS_URL } from './databases.js'

let database: Awaited<ReturnType<typeof createDatabase>>
let receiver: OtlpReceiver
let tracing: Tracing
let api: DoctorApi

before(async () => {
  database = await createDatabase()
  receiver = await new OtlpReceiver().start()
  api = await startDoctorApi(
    undefined,
    { databaseUrl: database.url, redisUrl: REDIS_URL, redisPrefix: `sightline-spans-${process.pid}-${Date.now()}:` },
    async (sightline) => {
      tracing = await setupTracing(sightline, {
        ratio: 1,
        protocol: 'http/json',
        endpoint: `${receiver.url}/v1/traces`,
      })
    },
  )
})
after(async () => {
  await api.close()
  await tracing.shutdown()
  await receiver.close()
  await database.drop()
})

test('a patient read has a server span with cache and database children', async () => {
  const created = await api.post('/api/patients', {
    name: 'Ada',
    email: 'ada@example.com',
    date_of_birth: '1990-01-01',
  })
  const { id } = (await created.json()) as { id: number }
  assert.equal((await fetch(`${api.url}/api/patients/${id}`)).status, 200)
  // The cache write after a miss is fire-and-forget: its span may end after the response.
  for (let i = 0; i < 40 && !receiver.spans.some((s) => s.name === 'set redis' && s.parentSpanId !== undefined); i++) {
    await tracing.forceFlush()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const server = receiver.byName('GET /api/patients/:id')[0]
  assert.ok(server, receiver.spans.map((s) => s.name).join(', '))
  const children = receiver.spans.filter((s) => s.parentSpanId === server.spanId)
  const select = children.find((s) => s.name === 'SELECT patients')
  assert.equal(select?.kind, 3, 'CLIENT')
  assert.equal(select?.attributes['db.system.name'], 'postgresql')
  assert.equal(select?.attributes['db.operation.name'], 'SELECT')
  assert.equal(select?.attributes['db.collection.name'], 'patients')
  assert.match(String(select?.attributes['db.query.text']), /WHERE id = \$1/)
  assert.equal(select?.attributes['server.port'], Number(new URL(database.url).port || 5432))
  const get = children.find((s) => s.name === 'get redis')
  assert.equal(get?.attributes['db.system.name'], 'redis')
  assert.ok(children.some((s) => s.name === 'set redis'))
  const everything = JSON.stringify(receiver.spans)
  for (const secret of ['Ada', 'ada@example.com', '1990-01-01'])
    assert.equal(everything.includes(secret), false, `${secret} in a span`)
})
