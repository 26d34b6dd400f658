/**
 * @module test/data-layer/ioredis
 * `sightline/ioredis` on the real Redis: command spans (children of the request's server span,
 * named by the command, with no argument value anywhere), the duration histogram by command and
 * error, the cache helper's hits and misses through `instrumentCache`, nothing built for spans
 * when nothing is sampled, and docs/data-layer.md's example, run as written.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { createSightline, type Sightline } from 'sightline'
import { instrumentCache } from 'sightline/cache'
import { instrumentIoredis, redisCache, redisCheck } from 'sightline/ioredis'
import { METRIC_DB_DURATION, QueryRecorder } from 'sightline/pg'
import { METRIC_SPANS_EXPORTED, setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { REDIS_URL } from './databases.js'

/** Every key of this run under one prefix, so runs (and other test files) never share keys. */
const RUN = `sightline-ioredis-${process.pid}-${Date.now()}`
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`
const FAIL_FAST = { enableOfflineQueue: false, commandTimeout: 300, maxRetriesPerRequest: 0 } as const

let receiver: OtlpReceiver
let logs: LogCapture
let sightline: Sightline
let tracing: Tracing
let redis: Redis

before(async () => {
  receiver = await new OtlpReceiver().start()
  logs = new LogCapture()
  sightline = createSightline({ service: 'ioredis-test', logDestination: logs, shutdown: { signals: false } })
  tracing = await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` })
  redis = instrumentIoredis(new Redis(REDIS_URL, FAIL_FAST), { sightline })
  await once(redis, 'ready')
})
after(async () => {
  redis.disconnect()
  await tracing.shutdown()
  await receiver.close()
})

/** Serves one request with `handler`, through Sightline's pipeline. */
async function serve(
  target: Sightline,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<void> {
  const server = target.instrument(createServer((req, res) => void handler(req, res)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/work`)
    assert.equal(reply.status, 200, await reply.text())
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

function duration(samples: ReturnType<typeof parseMetrics>, operation: string, errorType = ''): number | undefined {
  return sampleValue(samples, `${METRIC_DB_DURATION}_count`, {
    db_system_name: 'redis',
    db_operation_name: operation,
    db_collection_name: '',
    error_type: errorType,
  })
}

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
  // A bare node:http server has no route: its span is named by the method alone.
  const server = receiver.spans.find((s) => s.kind === 2)
  assert.ok(server, receiver.spans.map((s) => s.name).join(', '))
  const children = receiver.spans.filter((s) => s.parentSpanId === server.spanId)
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
  for (const span of receiver.spans) assert.equal(span.attributes['db.query.text'], undefined)
  assert.equal(JSON.stringify(receiver.spans).includes(SECRET), false, 'the value in a span')
  assert.equal(logs.raw.join('\n').includes(SECRET), false, 'the value in a log line')
  assert.ok(
    logs.raw.some((line) => line.includes('"GET /work"') || line.includes('/work')),
    'the access line',
  )
})

test('the duration histogram counts by command and error, unknown commands as _OTHER', async () => {
  const before = parseMetrics(await sightline.metrics.render(false))
  const key = `${RUN}:histogram`
  for (let i = 0; i < 5; i++) await redis.get(key)
  await redis.set(key, 'text')
  await assert.rejects(redis.lpush(key, 'item'), /WRONGTYPE/)
  await assert.rejects(redis.incr(key), /not an integer/)
  await assert.rejects(redis.call('NOSUCHCOMMAND'))
  await redis.del(key)
  const samples = parseMetrics(await sightline.metrics.render(false))
  const grew = (operation: string, errorType = '') =>
    (duration(samples, operation, errorType) ?? 0) - (duration(before, operation, errorType) ?? 0)
  assert.equal(grew('GET'), 5)
  assert.equal(grew('SET'), 1)
  assert.equal(grew('DEL'), 1)
  assert.equal(grew('LPUSH', 'WRONGTYPE'), 1)
  assert.equal(grew('INCR', 'ERR'), 1)
  assert.equal(grew('_OTHER', 'ERR'), 1)
  assert.equal(
    samples.some((s) => s.labels.db_operation_name === 'NOSUCHCOMMAND'),
    false,
  )
})

test("a command past ioredis' commandTimeout is error_type timeout; a refused one is counted too", async () => {
  const slow = instrumentIoredis(new Redis(REDIS_URL, { ...FAIL_FAST, commandTimeout: 200 }), { sightline })
  await once(slow, 'ready')
  try {
    // BLPOP waits on the server for 1 s; the client gives up at 200 ms.
    await assert.rejects(slow.blpop(`${RUN}:empty-list`, 1), /timed out/)
  } finally {
    slow.disconnect()
  }
  // Disconnected, no offline queue: ioredis refuses the command before writing it.
  await assert.rejects(slow.get(`${RUN}:after`))
  const samples = parseMetrics(await sightline.metrics.render(false))
  assert.equal(duration(samples, 'BLPOP', 'timeout'), 1)
  assert.equal(duration(samples, 'GET', 'Error'), 1)
})

test('redisCache under instrumentCache: hits, misses and a TTL', async () => {
  const cache = instrumentCache(redisCache(redis, { prefix: `${RUN}:cache:`, ttlSeconds: 30 }), {
    sightline,
    system: 'redis-helper',
  })
  assert.equal(await cache.get('a'), undefined)
  await cache.set('a', 'one')
  assert.equal(await cache.get('a'), 'one')
  assert.ok((await redis.ttl(`${RUN}:cache:a`)) > 0, 'ttlSeconds applied')
  await cache.set('b', 'two', 5)
  assert.ok((await redis.ttl(`${RUN}:cache:b`)) <= 5)
  await cache.del('a')
  assert.equal(await cache.get('a'), undefined)
  await cache.del('b')
  const samples = parseMetrics(await sightline.metrics.render(false))
  const requests = (result: string) =>
    sampleValue(samples, 'cache_requests_total', { cache_system: 'redis-helper', result })
  assert.equal(requests('hit'), 1)
  assert.equal(requests('miss'), 2)
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
    assert.equal(duration(samples, 'GET'), 10)
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
  const source = readFileSync(
    fileURLToPath(import.meta.url)
      .replace('/dist/', '/')
      .replace(/\.js$/, '.ts'),
    'utf8',
  )
  const region = /\/\/ docs:start\n([\s\S]*?)\n\s*\/\/ docs:end/.exec(source)![1]!.replace(/^ {2}/gm, '')
  const docs = readFileSync(fileURLToPath(new URL('../../../docs/data-layer.md', import.meta.url)), 'utf8')
  const block = /## Redis \(ioredis\)[\s\S]*?```ts\n([\s\S]*?)```/.exec(docs)?.[1]
  assert.ok(block, 'a ts block in the Redis (ioredis) section')
  const imports = block.split('\n').filter((line) => line.startsWith('import '))
  for (const line of imports) assert.ok(source.includes(line), `imported here too: ${line}`)
  assert.equal(
    block
      .split('\n')
      .filter((line) => !line.startsWith('import '))
      .join('\n')
      .trim(),
    region.trim(),
  )

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
  assert.equal(duration(samples, 'GET'), 2)
  await app.shutdown()
  // The shutdown hook ran redis.quit(): the client ends without a reconnect.
  if (client.status !== 'end') await once(client, 'end')
})
