/**
 * @module test/data-layer/ioredis
 * `sightline/ioredis` on the real Redis: command spans (children of the request's server span,
 * named by the command, with no argument value anywhere), the duration histogram by command and
 * error, the cache helper's hits and misses through `instrumentCache`, nothing built for spans
 * when nothing is sampled, and docs/data-layer.md's example, run as written.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { createSightline, type Sightline } from 'sightline'
import { instrumentCache } from 'sightline/cache'
import { instrumentIoredis, redisCache, redisCheck } from 'sightline/ioredis'
import { QueryRecorder } from 'sightline/pg'
import { METRIC_SPANS_EXPORTED, setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import type { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { REDIS_URL } from './databases.js'
import {
  assertCacheHelper,
  assertCommandDurations,
  assertDocsExample,
  redisDuration,
  serve,
  type TestBed,
  testBed,
  underServerSpan,
} from './redis-tests.js'

/** Every key of this run under one prefix, so runs (and other test files) never share keys. */
const RUN = `sightline-ioredis-${process.pid}-${Date.now()}`
const SERVICE = 'ioredis-test'
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`
const FAIL_FAST = { enableOfflineQueue: false, commandTimeout: 300, maxRetriesPerRequest: 0 } as const

let bed: TestBed
let receiver: OtlpReceiver
let logs: LogCapture
let sightline: Sightline
let tracing: Tracing
let redis: Redis

before(async () => {
  bed = await testBed(SERVICE)
  ;({ receiver, logs, sightline, tracing } = bed)
  redis = instrumentIoredis(new Redis(REDIS_URL, FAIL_FAST), { sightline })
  await once(redis, 'ready')
})
after(async () => {
  redis.disconnect()
  await bed.close()
})

test('commands are CLIENT spans under the server span, named by the command, with no argument value', async () => {
  const key = `${RUN}:spans`
  await serve(sightline, async (_req, res) => {
    await redis.set(key, SECRET, 'EX', 60)
    assert.equal(await redis.get(key), SECRET)
    await assert.rejects(redis.lpush(key, 'item'), /WRONGTYPE/)
    // Redis quotes the arguments of an unknown command in its error: the message is never recorded.
    await assert.rejects(redis.call('NOSUCHCOMMAND', SECRET), /unknown command/)
    await redis.pipeline().get(key).del(key).exec()
    res.end('ok')
  })
  await tracing.forceFlush()
  const { server, children } = underServerSpan(receiver)
  assert.deepEqual(
    children.map((s) => s.name),
    ['SET', 'GET', 'LPUSH', '_OTHER', 'GET', 'DEL'],
  )
  const get = children[1]!
  assert.equal(get.kind, 3, 'CLIENT')
  assert.equal(get.traceId, server.traceId)
  assert.deepEqual(get.attributes, {
    'db.system.name': 'redis',
    'db.operation.name': 'GET',
    'db.query.text': 'GET ?',
    'server.address': new URL(REDIS_URL).hostname,
    'server.port': Number(new URL(REDIS_URL).port || 6379),
  })
  const lpush = children[2]!
  assert.equal(lpush.status?.code, 2, 'ERROR')
  assert.equal(lpush.attributes['error.type'], 'WRONGTYPE')
  assert.equal(lpush.attributes['db.response.status_code'], 'WRONGTYPE')
  assert.equal(children[3]!.attributes['error.type'], 'ERR')
  // The counter the unsampled test reads does count what is exported.
  assert.ok((sampleValue(parseMetrics(await sightline.metrics.render(false)), METRIC_SPANS_EXPORTED) ?? 0) > 0)
  assert.equal(children[0]!.attributes['db.query.text'], 'SET ? ? ? ?', 'key, value, EX, seconds: placeholders')
  assert.equal(children[3]!.attributes['db.query.text'], '_OTHER ?')
  assert.equal(JSON.stringify(receiver.spans).includes(key), false, 'the key in a span')
  assert.equal(JSON.stringify(receiver.spans).includes(SECRET), false, 'the value in a span')
  assert.equal(logs.raw.join('\n').includes(SECRET), false, 'the value in a log line')
  assert.ok(
    logs.raw.some((line) => line.includes('"GET /work"') || line.includes('/work')),
    'the access line',
  )
})

test('the duration histogram counts by command and error, unknown commands as _OTHER', async () => {
  await assertCommandDurations(sightline, `${RUN}:histogram`, {
    get: (key) => redis.get(key),
    set: (key, value) => redis.set(key, value),
    lpush: (key, value) => redis.lpush(key, value),
    incr: (key) => redis.incr(key),
    unknown: () => redis.call('NOSUCHCOMMAND'),
    del: (key) => redis.del(key),
  })
})

test("a command past ioredis' commandTimeout is error_type timeout; a refused one is counted too", async () => {
  const slow = instrumentIoredis(new Redis(REDIS_URL, { ...FAIL_FAST, commandTimeout: 200 }), {
    sightline,
    clientName: 'slow',
  })
  await once(slow, 'ready')
  const ready = async () =>
    sampleValue(parseMetrics(await sightline.metrics.render(false)), 'redis_client_ready', { client_name: 'slow' })
  assert.equal(await ready(), 1)
  try {
    // BLPOP waits on the server for 1 s; the client gives up at 200 ms.
    await assert.rejects(slow.blpop(`${RUN}:empty-list`, 1), /timed out/)
  } finally {
    slow.disconnect()
  }
  // Disconnected, no offline queue: ioredis refuses the command before writing it.
  await assert.rejects(slow.get(`${RUN}:after`))
  // ioredis keeps `status` at `ready` until the socket has closed.
  if (slow.status !== 'end') await once(slow, 'end')
  assert.equal(await ready(), 0, 'a disconnected client is not ready')
  const samples = parseMetrics(await sightline.metrics.render(false))
  assert.equal(redisDuration(samples, 'BLPOP', 'timeout'), 1)
  assert.equal(redisDuration(samples, 'GET', 'Error'), 1)
})

test('redisCache under instrumentCache: hits, misses and a TTL', async () => {
  const prefix = `${RUN}:cache:`
  const cache = instrumentCache(redisCache(redis, { prefix, ttlSeconds: 30 }), { sightline, system: 'redis-helper' })
  await assertCacheHelper(sightline, cache, prefix, 'redis-helper', (key) => redis.ttl(key))
})

test('with nothing sampled the commands are timed and no span is made', async () => {
  const quiet = createSightline({
    service: 'ioredis-quiet',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const quietTracing = await setupTracing(quiet, {
    ratio: 0,
    protocol: 'http/json',
    endpoint: `${receiver.url}/v1/traces`,
  })
  const client = instrumentIoredis(new Redis(REDIS_URL, FAIL_FAST), { sightline: quiet })
  await once(client, 'ready')
  const seen = receiver.spans.length
  try {
    await serve(quiet, async (_req, res) => {
      for (let i = 0; i < 10; i++) await client.get(`${RUN}:quiet`)
      res.end('ok')
    })
    await quietTracing.forceFlush()
    const samples = parseMetrics(await quiet.metrics.render(false))
    assert.equal(redisDuration(samples, 'GET'), 10)
    assert.equal(sampleValue(samples, METRIC_SPANS_EXPORTED) ?? 0, 0)
    assert.equal(receiver.spans.length, seen)
  } finally {
    client.disconnect()
    await quietTracing.shutdown()
  }
})

test("pg's queries and Redis commands share one histogram in one registry", () => {
  const both = createSightline({
    service: 'ioredis-pg',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const client = instrumentIoredis(new Redis(REDIS_URL, { ...FAIL_FAST, lazyConnect: true }), { sightline: both })
  // Throws SIGHTLINE_ERR_METRIC_CONFLICT if the two configurations ever differ.
  new QueryRecorder(both, { system: 'postgresql', slowQueryMs: 500 })
  client.disconnect()
})

/** The code of docs/data-layer.md's Redis section, between the markers, as written there. */
async function docsExample(sightline: Sightline) {
  // docs:start
  const redis = instrumentIoredis(
    new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      enableOfflineQueue: false, // while Redis is away, commands fail at once instead of queueing
      commandTimeout: 300,
      maxRetriesPerRequest: 0,
    }),
    { sightline },
  )
  redis.on('error', () => {}) // one per failed reconnect: unhandled, it would crash the process
  const cache = instrumentCache(redisCache(redis, { prefix: 'app:', ttlSeconds: 300 }), { sightline, system: 'redis' })
  sightline.addCheck('redis', redisCheck(redis), { timeoutMs: 300, critical: false })
  sightline.onShutdown('redis', () => redis.quit())
  // docs:end
  return { redis, cache }
}

test("docs/data-layer.md's Redis example is this file's, and runs", async () => {
  assertDocsExample(import.meta.url, 'Redis (ioredis)')

  const app = createSightline({
    service: 'ioredis-docs',
    logDestination: new LogCapture(),
    shutdown: { signals: false, delayMs: 0 },
  })
  const { redis: client, cache } = await docsExample(app)
  await once(client, 'ready')
  const key = `${RUN}:docs`
  assert.equal(await cache.get(key), undefined)
  await cache.set(key, 'value')
  assert.equal(await cache.get(key), 'value')
  await cache.del(key)
  const samples = parseMetrics(await app.metrics.render(false))
  assert.equal(sampleValue(samples, 'cache_requests_total', { cache_system: 'redis', result: 'hit' }), 1)
  assert.equal(redisDuration(samples, 'GET'), 2)
  await app.shutdown()
  // The shutdown hook ran redis.quit(): the client ends without a reconnect.
  if (client.status !== 'end') await once(client, 'end')
})
