/**
 * @module test/data-layer/node-redis
 * `sightline/node-redis` on the real Redis, with the `redis` package: command spans (children of
 * the request's server span, named by the command, `db.query.text` of placeholders only, no
 * argument value anywhere in spans or logs), one span for a MULTI and one for a pipeline, the
 * duration histogram by command and error (a Redis error, the client's own timeout, a command
 * refused while offline), the connection state of a client whose server goes away (cut by the
 * fault proxy) and comes back, the cache helper's hits, misses, circuit breaker and readiness
 * check, and docs/data-layer.md's example, run as written.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { createClient } from 'redis'
import { createSightline, type Sightline } from 'sightline'
import { instrumentCache } from 'sightline/cache'
import { METRIC_REDIS_READY, METRIC_REDIS_RECONNECTS } from 'sightline/names'
import { instrumentNodeRedis, redisCache, redisCheck } from 'sightline/node-redis'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { FaultProxy } from '../helpers/fault-proxy.js'
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
const RUN = `sightline-node-redis-${process.pid}-${Date.now()}`
const SERVICE = 'node-redis-test'
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
  client = instrumentNodeRedis(createClient({ url: REDIS_URL, disableOfflineQueue: true }), { sightline })
  client.on('error', () => {})
  await client.connect()
})
after(async () => {
  client.destroy()
  await bed.close()
})

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

test('commands are CLIENT spans under the server span, with placeholders and no argument value', async () => {
  const key = `${RUN}:spans`
  await serve(sightline, async (_req, res) => {
    await client.set(key, SECRET, { expiration: { type: 'EX', value: 60 } })
    assert.equal(await client.get(key), SECRET)
    await assert.rejects(client.lPush(key, 'item'), /WRONGTYPE/)
    // Redis quotes the arguments of an unknown command in its error: the message is never recorded.
    await assert.rejects(client.sendCommand(['NOSUCHCOMMAND', SECRET]), /unknown command/)
    assert.deepEqual(await client.multi().set(key, SECRET).get(key).exec(), ['OK', SECRET])
    assert.deepEqual(await client.multi().get(key).del(key).execAsPipeline(), [SECRET, 1])
    res.end('ok')
  })
  await tracing.forceFlush()
  const { server, children } = underServerSpan(receiver)
  assert.deepEqual(
    children.map((s) => s.name),
    ['SET', 'GET', 'LPUSH', '_OTHER', 'MULTI', 'PIPELINE'],
  )
  const [set, get, lPush, other, multi, pipeline] = children as [
    (typeof children)[0],
    (typeof children)[0],
    (typeof children)[0],
    (typeof children)[0],
    (typeof children)[0],
    (typeof children)[0],
  ]
  assert.equal(get.kind, 3, 'CLIENT')
  assert.equal(get.traceId, server.traceId)
  assert.deepEqual(get.attributes, {
    'db.system.name': 'redis',
    'db.operation.name': 'GET',
    'db.query.text': 'GET ?',
    'server.address': REDIS.hostname,
    'server.port': REDIS_PORT,
  })
  assert.equal(set.attributes['db.query.text'], 'SET ? ? ? ?', 'key, value, EX, seconds: placeholders')
  assert.equal(lPush.status?.code, 2, 'ERROR')
  assert.equal(lPush.attributes['error.type'], 'WRONGTYPE')
  assert.equal(lPush.attributes['db.response.status_code'], 'WRONGTYPE')
  assert.equal(other.attributes['error.type'], 'ERR')
  assert.equal(other.attributes['db.query.text'], '_OTHER ?')
  assert.equal(multi.attributes['db.operation.name'], 'MULTI')
  assert.equal(multi.attributes['db.query.text'], 'SET ? ?; GET ?')
  assert.equal(multi.attributes['db.operation.batch.size'], 2)
  assert.equal(multi.status?.code ?? 0, 0)
  assert.equal(pipeline.attributes['db.query.text'], 'GET ?; DEL ?')
  assert.equal(pipeline.attributes['db.operation.batch.size'], 2)
  // No span of the batches' commands on their own: a batch is one operation.
  assert.equal(receiver.spans.filter((s) => s.kind === 3 && s.name === 'GET').length, 1)
  assert.equal(JSON.stringify(receiver.spans).includes(SECRET), false, 'the value in a span')
  assert.equal(JSON.stringify(receiver.spans).includes(key), false, 'the key in a span')
  assert.equal(logs.raw.join('\n').includes(SECRET), false, 'the value in a log line')
  assert.ok(
    logs.raw.some((line) => line.includes('/work')),
    'the access line',
  )
})

test('the duration histogram counts by command and error: Redis errors, a MULTI with one, unknown commands', async () => {
  const grew = await assertCommandDurations(sightline, `${RUN}:histogram`, {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    lpush: (key, value) => client.lPush(key, value),
    incr: (key) => client.incr(key),
    unknown: () => client.sendCommand(['NOSUCHCOMMAND']),
    del: (key) => client.del(key),
    // EXEC answers the failed command's error inside its array; node-redis throws after it.
    also: (key) => assert.rejects(client.multi().get(key).lPush(key, 'item').exec(), /commands failed/),
  })
  assert.equal(grew('MULTI', 'WRONGTYPE'), 1)
})

test("commands past node-redis' own timeout are error_type timeout, written or not", async () => {
  const proxy = await new FaultProxy(REDIS.hostname, REDIS_PORT).start()
  const slow = instrumentNodeRedis(
    createClient({
      socket: { host: '127.0.0.1', port: proxy.port, reconnectStrategy: () => 50 },
      commandOptions: { timeout: 200, rejectInFlight: true },
    }),
    { sightline, clientName: 'slow' },
  )
  slow.on('error', () => {})
  const timeouts = async () => redisDuration(parseMetrics(await sightline.metrics.render(false)), 'GET', 'timeout') ?? 0
  try {
    await slow.connect()
    const before = await timeouts()
    // Written, and Redis never answers: TimeoutReadError.
    proxy.set('blackhole')
    await assert.rejects(slow.get(`${RUN}:slow`), {
      name: 'Error',
      message: /timed out after 200ms waiting for a reply/,
    })
    // Never written (the server is gone, the command waits in the offline queue): TimeoutError.
    proxy.set('reset')
    await assert.rejects(slow.get(`${RUN}:slow`), (error: Error) => error.constructor.name === 'TimeoutError')
    assert.equal((await timeouts()) - before, 2)
  } finally {
    slow.destroy()
    await proxy.close()
  }
})

test('the connection state of a client whose server goes away and comes back', async () => {
  const proxy = await new FaultProxy(REDIS.hostname, REDIS_PORT).start()
  const app = createSightline({
    service: 'node-redis-outage',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const cut = instrumentNodeRedis(
    createClient({
      socket: { host: '127.0.0.1', port: proxy.port, reconnectStrategy: () => 50 },
      disableOfflineQueue: true,
    }),
    { sightline: app, clientName: 'cut' },
  )
  cut.on('error', () => {})
  const cache = instrumentCache(redisCache(cut, { prefix: `${RUN}:cut:` }), {
    sightline: app,
    system: 'redis-cut',
    breaker: { failures: 3, openMs: 200 },
  })
  app.addCheck('redis', redisCheck(cut), { timeoutMs: 300, critical: false })
  const server = app.instrument(createServer((_req, res) => res.end('ok')))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const state = async () => {
    const samples = parseMetrics(await app.metrics.render(false))
    return {
      ready: sampleValue(samples, METRIC_REDIS_READY, { client_name: 'cut' }),
      reconnects: sampleValue(samples, METRIC_REDIS_RECONNECTS, { client_name: 'cut' }) ?? 0,
      offline: redisDuration(samples, 'GET', 'ClientOfflineError') ?? 0,
      circuit: sampleValue(samples, 'cache_circuit_open', { cache_system: 'redis-cut' }),
    }
  }
  const readiness = async () => ((await (await fetch(`${base}/readyz`)).json()) as { status: string }).status
  try {
    assert.equal((await state()).ready, 0, 'not connected yet')
    await cut.connect()
    assert.equal((await state()).ready, 1)
    assert.equal(await cache.get('a'), undefined)
    assert.ok(await until(async () => (await readiness()) === 'ready', 5000), 'ready with Redis up')

    proxy.set('reset')
    assert.ok(await until(async () => (await state()).ready === 0, 5000), 'the gauge drops when the server goes')
    assert.ok(await until(async () => (await state()).reconnects >= 1, 5000), 'reconnects counted')
    // Offline, no queue: node-redis refuses the command before writing it, and it is counted.
    for (let i = 0; i < 3; i++) await assert.rejects(cache.get('a'))
    const down = await state()
    assert.ok(down.offline >= 3, `refused commands counted: ${down.offline}`)
    assert.equal(down.circuit, 1, 'three failures in a row open the circuit')
    await assert.rejects(cache.get('a'), { code: 'SIGHTLINE_ERR_CIRCUIT_OPEN' })
    assert.ok(await until(async () => (await readiness()) === 'degraded', 5000), 'readiness degraded, not down')

    proxy.set('pass')
    assert.ok(await until(async () => (await state()).ready === 1, 10000), 'the gauge is back with the server')
    assert.ok(
      await until(async () => (await cache.get('a').catch(() => 'failed')) === undefined, 5000),
      'the cache answers again',
    )
    assert.equal((await state()).circuit, 0, 'the probe closed the circuit')
    assert.ok(await until(async () => (await readiness()) === 'ready', 5000), 'ready again')
  } finally {
    cut.destroy()
    await new Promise((resolve) => server.close(resolve))
    await proxy.close()
  }
  assert.equal((await state()).ready, 0, 'a destroyed client is not ready')
})

test('redisCache under instrumentCache: hits, misses and a TTL', async () => {
  const prefix = `${RUN}:cache:`
  const cache = instrumentCache(redisCache(client, { prefix, ttlSeconds: 30 }), {
    sightline,
    system: 'node-redis-helper',
  })
  await assertCacheHelper(sightline, cache, prefix, 'node-redis-helper', (key) => client.ttl(key))
})

test('with nothing sampled the commands are timed and no span is made', async () => {
  const quiet = createSightline({
    service: 'node-redis-quiet',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const quietTracing = await setupTracing(quiet, {
    ratio: 0,
    protocol: 'http/json',
    endpoint: `${receiver.url}/v1/traces`,
  })
  const other = instrumentNodeRedis(createClient({ url: REDIS_URL }), { sightline: quiet })
  other.on('error', () => {})
  await other.connect()
  const seen = receiver.spans.length
  try {
    await serve(quiet, async (_req, res) => {
      for (let i = 0; i < 10; i++) await other.get(`${RUN}:quiet`)
      await other.multi().get(`${RUN}:quiet`).exec()
      res.end('ok')
    })
    await quietTracing.forceFlush()
    const samples = parseMetrics(await quiet.metrics.render(false))
    assert.equal(redisDuration(samples, 'GET'), 10)
    assert.equal(redisDuration(samples, 'MULTI'), 1)
    assert.equal(receiver.spans.length, seen)
  } finally {
    other.destroy()
    await quietTracing.shutdown()
  }
})

test('a client instrumented twice records each command once; another client is left alone', async () => {
  const app = createSightline({
    service: 'node-redis-twice',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const twice = instrumentNodeRedis(instrumentNodeRedis(createClient({ url: REDIS_URL }), { sightline: app }), {
    sightline: app,
  })
  const plain = createClient({ url: REDIS_URL })
  for (const c of [twice, plain]) c.on('error', () => {})
  await Promise.all([twice.connect(), plain.connect()])
  try {
    await twice.get(`${RUN}:twice`)
    await plain.get(`${RUN}:twice`)
    // A client made by withCommandOptions shares the instance, so it is instrumented too.
    await twice.withCommandOptions({ timeout: 1000 }).get(`${RUN}:twice`)
    assert.equal(redisDuration(parseMetrics(await app.metrics.render(false)), 'GET'), 2)
  } finally {
    twice.destroy()
    plain.destroy()
  }
})

/** The code of docs/data-layer.md's node-redis section, between the markers, as written there. */
async function docsExample(sightline: Sightline) {
  // docs:start
  const redis = instrumentNodeRedis(
    createClient({
      url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      disableOfflineQueue: true, // while Redis is away, commands fail at once instead of queueing
      commandOptions: { timeout: 300, rejectInFlight: true }, // also when Redis stops answering
    }),
    { sightline },
  )
  redis.on('error', () => {}) // one per failed reconnect: unhandled, it would crash the process
  await redis.connect()
  const cache = instrumentCache(redisCache(redis, { prefix: 'app:', ttlSeconds: 300 }), { sightline, system: 'redis' })
  sightline.addCheck('redis', redisCheck(redis), { timeoutMs: 300, critical: false })
  sightline.onShutdown('redis', () => redis.close())
  // docs:end
  return { redis, cache }
}

test("docs/data-layer.md's node-redis example is this file's, and runs", async () => {
  assertDocsExample(import.meta.url, 'Redis (node-redis)')

  const app = createSightline({
    service: 'node-redis-docs',
    logDestination: new LogCapture(),
    shutdown: { signals: false, delayMs: 0 },
  })
  const { redis, cache } = await docsExample(app)
  const key = `${RUN}:docs`
  assert.equal(await cache.get(key), undefined)
  await cache.set(key, 'value')
  assert.equal(await cache.get(key), 'value')
  await cache.del(key)
  const samples = parseMetrics(await app.metrics.render(false))
  assert.equal(sampleValue(samples, 'cache_requests_total', { cache_system: 'redis', result: 'hit' }), 1)
  assert.equal(redisDuration(samples, 'GET'), 2)
  assert.equal(sampleValue(samples, METRIC_REDIS_READY, { client_name: 'default' }), 1)
  await app.shutdown()
  // The shutdown hook ran redis.close(): the client is closed, not reconnecting.
  assert.equal(redis.isOpen, false)
})
