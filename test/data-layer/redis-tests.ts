/**
 * @module test/data-layer/redis-tests
 * What the ioredis and node-redis tests share: a request served through Sightline's pipeline, the
 * command spans under its server span, the Redis series of the duration histogram, and the check
 * that a docs/data-layer.md section's example is the test file's `docs:start`…`docs:end` region,
 * and the test bed (Sightline, tracing to a receiver, captured logs) each file starts.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createSightline, type Sightline } from 'sightline'
import { METRIC_DB_DURATION } from 'sightline/pg'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'

/** Serves one request with `handler`, through Sightline's pipeline. */
export async function serve(
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

/** The (first) server span the receiver got, and the spans made under it, in order. */
export function underServerSpan(receiver: OtlpReceiver) {
  // A bare node:http server has no route: its span is named by the method alone.
  const server = receiver.spans.find((s) => s.kind === 2)
  assert.ok(server, receiver.spans.map((s) => s.name).join(', '))
  return { server, children: receiver.spans.filter((s) => s.parentSpanId === server.spanId) }
}

/** The count of Redis `operation`'s duration series with `errorType` ('' for success). */
export function redisDuration(
  samples: ReturnType<typeof parseMetrics>,
  operation: string,
  errorType = '',
): number | undefined {
  return sampleValue(samples, `${METRIC_DB_DURATION}_count`, {
    db_system_name: 'redis',
    db_operation_name: operation,
    db_collection_name: '',
    error_type: errorType,
  })
}

/**
 * Asserts that the first ts block of docs/data-layer.md's `## {section}` is the test file's
 * `docs:start`…`docs:end` region (one level of indentation off) and that its imports are the file's.
 */
export function assertDocsExample(testFileUrl: string, section: string): void {
  const source = readFileSync(fileURLToPath(testFileUrl).replace('/dist/', '/').replace(/\.js$/, '.ts'), 'utf8')
  const region = /\/\/ docs:start\n([\s\S]*?)\n\s*\/\/ docs:end/.exec(source)![1]!.replace(/^ {2}/gm, '')
  const docs = readFileSync(fileURLToPath(new URL('../../../docs/data-layer.md', import.meta.url)), 'utf8')
  const heading = section.replace(/[()]/g, '\\$&')
  const block = new RegExp(`## ${heading}[\\s\\S]*?\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(docs)?.[1]
  assert.ok(block, `a ts block in the ${section} section`)
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
}

/**
 * A `redisCache` under `instrumentCache` (prefix `prefix`, `ttlSeconds: 30`, `cache_system` `system`):
 * a miss, a hit, the option's TTL and a call's own, counted hits and misses. `ttl` reads a key's TTL.
 */
export async function assertCacheHelper(
  sightline: Sightline,
  cache: {
    get(key: string): Promise<unknown>
    set(key: string, value: string, ttl?: number): Promise<void>
    del(key: string): Promise<void>
  },
  prefix: string,
  system: string,
  ttl: (key: string) => Promise<number>,
): Promise<void> {
  assert.equal(await cache.get('a'), undefined)
  await cache.set('a', 'one')
  assert.equal(await cache.get('a'), 'one')
  const seconds = await ttl(`${prefix}a`)
  assert.ok(seconds > 0 && seconds <= 30, `ttlSeconds applied: ${seconds}`)
  await cache.set('b', 'two', 5)
  const own = await ttl(`${prefix}b`)
  assert.ok(own > 0 && own <= 5, `the call's TTL: ${own}`)
  await cache.del('a')
  assert.equal(await cache.get('a'), undefined)
  await cache.del('b')
  const samples = parseMetrics(await sightline.metrics.render(false))
  const requests = (result: string) => sampleValue(samples, 'cache_requests_total', { cache_system: system, result })
  assert.equal(requests('hit'), 1)
  assert.equal(requests('miss'), 2)
}

/** The commands `assertCommandDurations` sends, as one client spells them. */
export interface ProbeCommands {
  get(key: string): Promise<unknown>
  set(key: string, value: string): Promise<unknown>
  lpush(key: string, value: string): Promise<unknown>
  incr(key: string): Promise<unknown>
  /** A command Redis does not know, `NOSUCHCOMMAND`. */
  unknown(): Promise<unknown>
  del(key: string): Promise<unknown>
  /** More commands of the client's own, sent before the series are read. */
  also?(key: string): Promise<void>
}

/**
 * Five GETs, a SET, a WRONGTYPE, an ERR, an unknown command, a DEL: each counted under its command
 * and error, the unknown one as `_OTHER`. Returns how much a series grew, for the caller's `also`.
 */
export async function assertCommandDurations(
  sightline: Sightline,
  key: string,
  commands: ProbeCommands,
): Promise<(operation: string, errorType?: string) => number> {
  const before = parseMetrics(await sightline.metrics.render(false))
  for (let i = 0; i < 5; i++) await commands.get(key)
  await commands.set(key, 'text')
  await assert.rejects(commands.lpush(key, 'item'), /WRONGTYPE/)
  await assert.rejects(commands.incr(key), /not an integer/)
  await assert.rejects(commands.unknown(), /unknown command/)
  await commands.also?.(key)
  await commands.del(key)
  const samples = parseMetrics(await sightline.metrics.render(false))
  const grew = (operation: string, errorType = '') =>
    (redisDuration(samples, operation, errorType) ?? 0) - (redisDuration(before, operation, errorType) ?? 0)
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
  return grew
}

/** A test file's Sightline, tracing everything to its own OTLP receiver, and its captured log lines. */
export interface TestBed {
  receiver: OtlpReceiver
  logs: LogCapture
  sightline: Sightline
  tracing: Tracing
  close(): Promise<void>
}

export async function testBed(service: string): Promise<TestBed> {
  const receiver = await new OtlpReceiver().start()
  const logs = new LogCapture()
  const sightline = createSightline({ service, logDestination: logs, shutdown: { signals: false } })
  const tracing = await setupTracing(sightline, {
    ratio: 1,
    protocol: 'http/json',
    endpoint: `${receiver.url}/v1/traces`,
  })
  return {
    receiver,
    logs,
    sightline,
    tracing,
    async close() {
      await tracing.shutdown()
      await receiver.close()
    },
  }
}
