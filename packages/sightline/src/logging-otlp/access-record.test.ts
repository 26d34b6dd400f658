/**
 * @module logging-otlp/access-record.test
 * The access log's own OTLP record (its values captured in the application's thread, written by the
 * worker's AccessRecordWriter) is byte for byte the record the line scanner makes of the line
 * written beside it, for every shape an access line takes; and the tee sends both kinds, counted.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import type { Logger } from 'pino'
import { AccessLog } from '../core/logging/access-log.js'
import { ProtoWriter } from '../core/otlp/proto-writer.js'
import { RequestContext } from '../core/pipeline/context.js'
import { RouteTable } from '../core/pipeline/routes.js'
import { AccessCapture, type AccessRecordSink, INTS_PER_RECORD } from './access-capture.js'
import { AccessRecordWriter } from './access-record.js'
import { LogEncoder } from './encode-protobuf.js'
import { OtlpLogTee } from './otlp-log-tee.js'

interface Shape {
  name: string
  url: string
  status: number
  durationMs: number
  trace?: [string, string, string]
  requestBytes?: string
  responseBytes?: unknown
  aborted?: boolean
  error?: Error
  logQuery?: boolean
}

const TRACE: [string, string, string] = ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', '01']
const SHAPES: Shape[] = [
  { name: 'a plain GET', url: '/users/42', status: 200, durationMs: 0.4123 },
  {
    name: 'sampled, with sizes',
    url: '/users/42?q=1',
    status: 201,
    durationMs: 12,
    trace: TRACE,
    requestBytes: '17',
    responseBytes: 38,
  },
  { name: 'unsampled trace flags', url: '/a', status: 204, durationMs: 1.5, trace: [TRACE[0], TRACE[1], '00'] },
  { name: 'a 404 (warn)', url: '/nope', status: 404, durationMs: 0.001 },
  {
    name: 'a 500 with an error',
    url: '/boom',
    status: 500,
    durationMs: 3.25,
    error: Object.assign(new Error('kaboom "x"\nline'), { code: 'E_X' }),
  },
  { name: 'aborted', url: '/slow', status: 200, durationMs: 2500.5, aborted: true, responseBytes: '12' },
  { name: 'a path that needs escaping', url: '/a"b\\c\there?x=1', status: 200, durationMs: 1 },
  { name: 'a non-ASCII path', url: '/é/\u2028/日本', status: 200, durationMs: 0 },
  { name: 'a long path (cut)', url: `/${'x'.repeat(3000)}`, status: 200, durationMs: 7 },
  { name: 'the query kept (logQuery)', url: '/q?a=1&b="2"', status: 200, durationMs: 1.0004, logQuery: true },
  { name: 'a bad content-length', url: '/c', status: 200, durationMs: 1, requestBytes: 'abc', responseBytes: [1, 2] },
]

/** An access log writing its lines and records to `sink`, as Sightline makes it when log export is on. */
function accessLog(sink: AccessRecordSink, logQuery = false): AccessLog {
  return new AccessLog({
    logger: { levelVal: 30 } as Logger,
    stream: { write: () => assert.fail('the line goes to the sink') },
    service: 'svc',
    logQuery,
    viaLogger: false,
    records: sink,
  })
}

const routes = new RouteTable()

/** Writes the access line of one request of `shape`. */
function writeShape(log: AccessLog, shape: Shape, template = '/users/:id'): void {
  const headers: Record<string, string> = {}
  if (shape.requestBytes !== undefined) headers['content-length'] = shape.requestBytes
  const req = { url: shape.url, method: 'GET', headers } as unknown as IncomingMessage
  const res = { getHeader: () => shape.responseBytes } as unknown as ServerResponse
  const context = new RequestContext('req-7', req, res, 0)
  if (shape.trace !== undefined) [context.traceId, context.spanId, context.traceFlags] = shape.trace
  if (shape.error !== undefined) context.error = shape.error
  log.write(context, routes.get(template), 0, shape.status, shape.durationMs, shape.aborted ?? false)
}

/** One access line and the record written from the values the access log captured beside it. */
function both(shape: Shape): { line: string; record: Uint8Array } {
  const lines: string[] = []
  const capture = new AccessCapture(1)
  const sink: AccessRecordSink = {
    destination: { write: (line: string) => lines.push(line) },
    beginRecord: () => capture,
    endRecord: () => undefined,
  }
  writeShape(accessLog(sink, shape.logQuery), shape)
  assert.equal(lines.length, 1)
  const batch = capture.take()
  assert.ok(batch !== undefined)
  assert.equal(batch.count, 1)
  const writer = new ProtoWriter(256)
  assert.equal(new AccessRecordWriter('request completed').writeBatch(writer, batch), 1)
  return { line: lines[0] as string, record: writer.take() }
}

for (const shape of SHAPES) {
  test(`access record = the scanned line's record: ${shape.name}`, () => {
    const { line, record } = both(shape)
    const time = (JSON.parse(line) as { time: number }).time
    // The scanner's observed time is the batch's; the access record's is its own time.
    const scanned = new LogEncoder().encode([line], 'svc', time)
    const direct = new LogEncoder().encode([], 'svc', time, (w) => {
      w.bytes(record)
      return 1
    })
    assert.equal(scanned.records, 1)
    assert.equal(direct.records, 1)
    assert.deepEqual(Buffer.from(direct.bytes), Buffer.from(scanned.bytes))
  })
}

/** A logs endpoint keeping each request's body; `delayMs(i)` holds the i-th answer back. */
async function receiver(delayMs: (index: number) => number = () => 0) {
  const bodies: Buffer[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const index = bodies.push(Buffer.concat(chunks)) - 1
      setTimeout(() => res.end(), delayMs(index))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { bodies, server, endpoint: `http://127.0.0.1:${port}/v1/logs` }
}

test('the tee sends access records and lines in one request, counts both, and bounds them together', async () => {
  const { bodies, server, endpoint } = await receiver()
  const dropped: string[] = []
  const tee = new OtlpLogTee(
    { write: () => true },
    {
      endpoint,
      service: 'svc',
      maxQueue: 3,
      flushMs: 60_000,
      onDropped: (reason, n) => dropped.push(`${reason}:${n}`),
    },
  )
  try {
    const log = accessLog(tee)
    writeShape(log, SHAPES[1] as Shape)
    writeShape(log, SHAPES[4] as Shape, '/boom')
    tee.write('{"level":"info","time":1,"msg":"app line"}\n')
    // The fourth does not fit a queue of three: refused and counted, whichever kind it is.
    writeShape(log, SHAPES[0] as Shape)
    tee.write('{"level":"info","time":2,"msg":"one too many"}\n')
    assert.deepEqual(dropped, ['queue_full:1', 'queue_full:1'])
    await tee.forceFlush()
    assert.equal(tee.stats.exported, 3)
    assert.equal(bodies.length, 1)
    const body = bodies[0] as Buffer
    assert.ok(body.includes(Buffer.from('app line')))
    assert.equal(
      body.indexOf(Buffer.from('request completed')) !== body.lastIndexOf(Buffer.from('request completed')),
      true,
    )
    for (const text of ['/users/:id', '/boom', 'kaboom']) assert.ok(body.includes(Buffer.from(text)), text)
  } finally {
    await tee.shutdown()
    server.close()
  }
})

test('a new export worker is told the route keys again: records after a worker is lost keep their route', async () => {
  const { bodies, server, endpoint } = await receiver()
  const tee = new OtlpLogTee({ write: () => true }, { endpoint, service: 'svc' })
  try {
    const log = accessLog(tee)
    writeShape(log, SHAPES[0] as Shape, '/kept/:id')
    await tee.forceFlush()
    // The worker exits (as one that ran out of memory would); the next batch starts another.
    const worker = (tee as unknown as { worker: { terminate(): Promise<number> } }).worker
    await worker.terminate()
    writeShape(log, SHAPES[0] as Shape, '/kept/:id')
    await tee.forceFlush()
    assert.equal(tee.stats.exported, 2)
    assert.equal(bodies.length, 2)
    for (const body of bodies) assert.ok(body.includes(Buffer.from('/kept/:id')), 'the route attribute is there')
  } finally {
    await tee.shutdown()
    server.close()
  }
})

test('records taken a few at a time (a backlog past one batch) are the records taken one by one', () => {
  // Two captures of the same records: one is taken three at a time, the other one at a time.
  const few = new AccessCapture(2)
  const single = new AccessCapture(2)
  const both = {
    add: (...values: Parameters<AccessCapture['add']>) => {
      few.add(...values)
      single.add(...values)
    },
  } as AccessCapture
  const sink: AccessRecordSink = {
    destination: { write: () => undefined },
    beginRecord: () => both,
    endRecord: () => undefined,
  }
  const log = accessLog(sink)
  // Traced, with an error, aborted, non-ASCII: every kind of string a record keeps, mixed.
  for (const shape of SHAPES) writeShape(log, shape)
  const writer = new AccessRecordWriter('request completed')
  const encode = (capture: AccessCapture, max: number) => {
    const out = new ProtoWriter(256)
    const sizes: number[] = []
    for (let batch = capture.take(max); batch !== undefined; batch = capture.take(max)) {
      sizes.push(batch.count)
      writer.writeBatch(out, batch)
    }
    assert.equal(capture.count, 0)
    assert.equal(capture.bytes, 0)
    return { bytes: Buffer.from(out.take()), sizes }
  }
  const taken = encode(few, 3)
  assert.deepEqual(taken.sizes, [3, 3, 3, 2])
  assert.deepEqual(taken.bytes, encode(single, 1).bytes)
})

test('the tee sends at most OTEL_BLRP_MAX_EXPORT_BATCH_SIZE records a request, losing none of a backlog', async () => {
  // The first answer is slow: the records written meanwhile pile up behind it.
  const { bodies, server, endpoint } = await receiver((index) => (index === 0 ? 100 : 0))
  const tee = new OtlpLogTee(
    { write: () => true },
    { endpoint, service: 'svc', maxBatch: 4, maxQueue: 100, flushMs: 10 },
  )
  try {
    const log = accessLog(tee)
    for (let i = 0; i < 4; i++) writeShape(log, SHAPES[0] as Shape)
    await new Promise((resolve) => setTimeout(resolve, 20))
    for (let i = 0; i < 10; i++) writeShape(log, SHAPES[i % 2 === 0 ? 1 : 4] as Shape, i % 2 === 0 ? '/a/:id' : '/b')
    await tee.forceFlush()
    assert.equal(tee.stats.exported, 14)
    assert.equal(tee.stats.dropped, 0)
    const perBody = bodies.map((body) => body.toString('latin1').split('request completed').length - 1)
    assert.ok(
      perBody.every((n) => n <= 4),
      `records per request: ${perBody}`,
    )
    assert.equal(
      perBody.reduce((a, b) => a + b, 0),
      14,
    )
  } finally {
    await tee.shutdown()
    server.close()
  }
})

test('a batch written into a buffer of any starting size is the same bytes (every piece makes its room)', () => {
  const capture = new AccessCapture(2)
  const sink: AccessRecordSink = {
    destination: { write: () => undefined },
    beginRecord: () => capture,
    endRecord: () => undefined,
  }
  const log = accessLog(sink)
  // ASCII only, so the batch's text is copied from the buffer itself; then with the non-ASCII path.
  const ascii = SHAPES.filter((shape) => !/[^\x20-\x7e]/.test(shape.url))
  for (const shapes of [ascii, SHAPES]) {
    for (const shape of shapes) writeShape(log, shape)
    const batch = capture.take()
    assert.ok(batch !== undefined)
    const encode = (initialBytes: number) => {
      const out = new ProtoWriter(initialBytes)
      new AccessRecordWriter('request completed').writeBatch(out, batch)
      return Buffer.from(out.take())
    }
    const expected = encode(64 * 1024)
    for (let size = 1; size <= 600; size++) assert.deepEqual(encode(size), expected, `starting at ${size} bytes`)
  }
})

test('two captures over one route table each keep their own route keys', () => {
  const table = new RouteTable()
  const [a, b] = [new AccessCapture(4), new AccessCapture(4)]
  const add = (capture: AccessCapture, template: string) =>
    capture.add(
      30,
      1,
      'id',
      undefined,
      undefined,
      undefined,
      table.get(template),
      0,
      'GET',
      '/p',
      200,
      1,
      undefined,
      undefined,
      false,
      undefined,
    )
  add(a, '/x')
  add(b, '/y')
  add(b, '/x')
  add(a, '/y')
  add(a, '/x')
  for (const [capture, expected] of [
    [a, ['/x', '/y', '/x']],
    [b, ['/y', '/x']],
  ] as const) {
    const batch = capture.take()
    assert.ok(batch !== undefined)
    const templates = new Map(batch.routes.map(([key, , template]) => [key, template]))
    const seen = Array.from({ length: batch.count }, (_, i) =>
      templates.get(batch.ints[i * INTS_PER_RECORD + 2] as number),
    )
    assert.deepEqual(seen, expected)
  }
})
