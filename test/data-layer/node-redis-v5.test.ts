/**
 * @module test/data-layer/node-redis-v5
 * `sightline/node-redis` with node-redis 5.x (installed as `redis5`, npm's alias for `redis@5`), on
 * the real Redis: what node-redis.test.ts checks on 6.x that differs between the majors' internals —
 * command spans with placeholders and no value, one span for a MULTI and for a pipeline, durations by
 * command and error, the client's own timeout (5.x's bounds a command not yet written), the
 * connection gauge, and the cache helper.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createClient } from 'redis5'
import type { Sightline } from 'sightline'
import { instrumentCache } from 'sightline/cache'
import { METRIC_REDIS_READY } from 'sightline/names'
import { instrumentNodeRedis, redisCache } from 'sightline/node-redis'
import type { Tracing } from 'sightline/tracing'
import { FaultProxy } from '../helpers/fault-proxy.js'
import type { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import type { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { REDIS_URL } from './databases.js'
import {
  assertCacheHelper,
  assertCommandDurations,
  redisDuration,
  serve,
  type TestBed,
  testBed,
  underServerSpan,
} from './redis-tests.js'

const RUN = `sightline-node-redis5-${process.pid}-${Date.now()}`
const SERVICE = 'node-redis5-test'
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`
const REDIS = new URL(REDIS_URL)
const REDIS_PORT = Number(REDIS.port || 6379)

let bed: TestBed
let receiver: OtlpReceiver
let logs: LogCapture
let sightline: Sightline
let tracing: Tracing
let client: ReturnType<typeof createClient>

before(async () => {
  bed = await testBed(SERVICE)
  ;({ receiver, logs, sightline, tracing } = bed)
  client = instrumentNodeRedis(createClient({ url: REDIS_URL }), { sightline })
  client.on('error', () => {})
  await client.connect()
})
after(async () => {
  client.destroy()
  await bed.close()
})

test('5.x: command, MULTI and pipeline spans with placeholders, no value anywhere', async () => {
  const key = `${RUN}:spans`
  await serve(sightline, async (_req, res) => {
    await client.set(key, SECRET)
    await assert.rejects(client.lPush(key, 'item'), /WRONGTYPE/)
    assert.deepEqual(await client.multi().set(key, SECRET).get(key).exec(), ['OK', SECRET])
    assert.deepEqual(await client.multi().get(key).del(key).execAsPipeline(), [SECRET, 1])
    res.end('ok')
  })
  await tracing.forceFlush()
  const { children } = underServerSpan(receiver)
  assert.deepEqual(
    children.map((s) => [s.name, s.attributes['db.query.text']]),
    [
      ['SET', 'SET ? ?'],
      ['LPUSH', 'LPUSH ? ?'],
      ['MULTI', 'SET ? ?; GET ?'],
      ['PIPELINE', 'GET ?; DEL ?'],
    ],
  )
  assert.equal(children[1]!.attributes['error.type'], 'WRONGTYPE')
  assert.equal(children[2]!.attributes['db.operation.batch.size'], 2)
  assert.equal(JSON.stringify(receiver.spans).includes(SECRET), false, 'the value in a span')
  assert.equal(logs.raw.join('\n').includes(SECRET), false, 'the value in a log line')
})

test('5.x: durations by command and error, a MULTI with a failed command', async () => {
  const grew = await assertCommandDurations(sightline, `${RUN}:histogram`, {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    lpush: (key, value) => client.lPush(key, value),
    incr: (key) => client.incr(key),
    unknown: () => client.sendCommand(['NOSUCHCOMMAND']),
    del: (key) => client.del(key),
    also: (key) => assert.rejects(client.multi().get(key).lPush(key, 'item').exec()),
  })
  assert.equal(grew('MULTI', 'WRONGTYPE'), 1)
})

test("5.x: the connection gauge, and the client's own timeout on a command never written", async () => {
  const proxy = await new FaultProxy(REDIS.hostname, REDIS_PORT).start()
  const cut = instrumentNodeRedis(
    createClient({
      socket: { host: '127.0.0.1', port: proxy.port, reconnectStrategy: () => 50 },
      commandOptions: { timeout: 200 },
    }),
    { sightline, clientName: 'v5-cut' },
  )
  cut.on('error', () => {})
  const state = async () => {
    const samples = parseMetrics(await sightline.metrics.render(false))
    return {
      ready: sampleValue(samples, METRIC_REDIS_READY, { client_name: 'v5-cut' }),
      timeout: redisDuration(samples, 'GET', 'timeout') ?? 0,
    }
  }
  try {
    await cut.connect()
    const before = await state()
    assert.equal(before.ready, 1)
    proxy.set('reset')
    const deadline = Date.now() + 5000
    while ((await state()).ready !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.equal((await state()).ready, 0, 'the gauge drops when the server goes')
    // 5.x's timeout bounds a command waiting to be written (here in the offline queue): TimeoutError.
    await assert.rejects(cut.get(`${RUN}:cut`), (error: Error) => error.constructor.name === 'TimeoutError')
    assert.equal((await state()).timeout - before.timeout, 1)
    proxy.set('pass')
    const back = Date.now() + 10000
    while ((await state()).ready !== 1 && Date.now() < back) await new Promise((r) => setTimeout(r, 50))
    assert.equal((await state()).ready, 1, 'the gauge is back with the server')
  } finally {
    cut.destroy()
    await proxy.close()
  }
})

test('5.x: redisCache under instrumentCache: hits, misses and a TTL', async () => {
  const prefix = `${RUN}:cache:`
  const cache = instrumentCache(redisCache(client, { prefix, ttlSeconds: 30 }), { sightline, system: 'node-redis5' })
  await assertCacheHelper(sightline, cache, prefix, 'node-redis5', (key) => client.ttl(key))
})
