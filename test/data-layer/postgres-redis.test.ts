/**
 * doctor-api on the real Postgres and Redis: query, pool and cache metrics on a parsed scrape,
 * readiness, and the slow-query line carrying the request id — and never a value.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type DoctorApi, startDoctorApi } from '../doctor-api/harness.js'
import { findSamples, parseMetrics, sampleValue } from '../helpers/metrics.js'
import { createDatabase, REDIS_URL } from './databases.js'

let database: Awaited<ReturnType<typeof createDatabase>>
let api: DoctorApi

before(async () => {
  database = await createDatabase()
  api = await startDoctorApi(undefined, {
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    redisPrefix: `sightline-test-${process.pid}-${Date.now()}:`,
    slowQueryMs: 0,
  })
})
after(async () => {
  await api.close()
  await database.drop()
})

test('queries, the pool and the cache are measured on real servers', async () => {
  const created = await api.post('/api/patients', {
    name: 'Ada',
    email: 'ada@example.com',
    date_of_birth: '1990-01-01',
  })
  assert.equal(created.status, 201)
  const { id } = (await created.json()) as { id: number }
  for (let i = 0; i < 2; i++) assert.equal((await fetch(`${api.url}/api/patients/${id}`)).status, 200)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const samples = parseMetrics(await (await fetch(`${api.url}/metrics`)).text())
  const count = (labels: Record<string, string>) =>
    sampleValue(samples, 'db_client_operation_duration_seconds_count', labels) ?? 0
  assert.ok(
    count({
      db_system_name: 'postgresql',
      db_operation_name: 'INSERT',
      db_collection_name: 'patients',
      error_type: '',
    }) >= 1,
  )
  assert.ok(count({ db_operation_name: 'SELECT', db_collection_name: 'patients' }) >= 1)
  assert.equal(sampleValue(samples, 'db_client_connection_max', { db_client_connection_pool_name: 'doctor-api' }), 10)
  const used = sampleValue(samples, 'db_client_connection_count', { db_client_connection_state: 'used' }) ?? -1
  const idle = sampleValue(samples, 'db_client_connection_count', { db_client_connection_state: 'idle' }) ?? -1
  assert.ok(used >= 0 && idle >= 1, `used ${used}, idle ${idle}`)
  assert.equal(sampleValue(samples, 'db_client_connection_pending_requests'), 0)
  assert.equal(sampleValue(samples, 'cache_requests_total', { cache_system: 'redis', result: 'miss' }), 1)
  assert.equal(sampleValue(samples, 'cache_requests_total', { cache_system: 'redis', result: 'hit' }), 1)
  assert.ok(
    (sampleValue(samples, 'cache_operation_duration_seconds_count', { cache_operation: 'get', error_type: '' }) ?? 0) >=
      2,
  )
  assert.ok(findSamples(samples, 'db_client_connection_wait_time_seconds_count').length === 1)
})

test('readiness checks both servers', async () => {
  const response = await fetch(`${api.url}/readyz`)
  assert.equal(response.status, 200)
  const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> }
  assert.equal(body.status, 'ready')
  assert.equal(body.checks.database?.status, 'ok')
  assert.equal(body.checks.cache?.status, 'ok')
})

test('a slow query is logged with the request id and the parameterised text, never the values', async () => {
  await fetch(`${api.url}/api/patients/424242`, { headers: { 'x-request-id': 'slow-query-1' } })
  const line = await api.logs.waitFor((l) => l.msg === 'slow query' && l.request_id === 'slow-query-1')
  assert.equal(line.db_operation, 'SELECT')
  assert.equal(line.db_collection, 'patients')
  assert.match(String(line.query), /\$1/)
  assert.doesNotMatch(String(line.query), /424242/)
  assert.equal(line.level, 'warn')
})
