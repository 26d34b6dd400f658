/**
 * @module test/viewer/fuzz
 * Hostile input, generated: bodies past the limits and gzip bombs; protobuf cut at every byte,
 * mutated by a seeded PRNG, with overlong varints, lengths past the buffer, wrong wire types and
 * values nested 1000 deep; JSON of the wrong type in every field and with prototype keys; malformed
 * escapes and odd values in every API parameter. Every answer must be a 2xx or a 4xx, never a 500
 * or a hang. After every case the viewer still answers `GET /api/stats`, no request failed inside
 * it, and nothing escaped as an uncaught exception or unhandled rejection: the viewer runs in this
 * process, as under `npm start` it shares the launcher's, so an escape would be a crash there.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { connect } from 'node:net'
import { after, afterEach, before, describe, it, type TestContext } from 'node:test'
import { createGzip, gzipSync } from 'node:zlib'
import { Viewer } from '@sightline/viewer'
import { fixed64, keyValue, message, varint } from './otlp-proto.js'

/** No single request may take longer: a hang is a failure, not a stuck suite. */
const REQUEST_TIMEOUT_MS = 5000
const JSON_TYPE = { 'content-type': 'application/json' }
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' }
/** Sent after a refusal: more than the viewer reads of a refused body, plus what socket buffers hold. */
const PUSHED_BYTES = 64 * 1024 * 1024

/** Mulberry32: small and seeded, so a failing mutation is the same one on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

let nextId = 1
/** A fresh trace id (32 hex) per call, so every request's spans can be looked up on their own. */
function freshIds(): { traceId: string; spanId: string } {
  const n = nextId++
  return { traceId: (0xf00000 + n).toString(16).padStart(32, '0'), spanId: n.toString(16).padStart(16, '0') }
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n

/** The fields of one span (without its own tag and length), with every kind of field the decoder reads. */
function spanBody(traceId: string, spanId: string, name: string | Buffer = 'GET /fuzz'): Buffer {
  const start = nowNs()
  return Buffer.concat([
    message(1, Buffer.from(traceId, 'hex')),
    message(2, Buffer.from(spanId, 'hex')),
    message(5, typeof name === 'string' ? Buffer.from(name) : name),
    varint(6 * 8),
    varint(2),
    fixed64(7, start),
    fixed64(8, start + 3_000_000n),
    keyValue('http.route', '/fuzz'),
    keyValue('http.response.status_code', 200),
    message(11, fixed64(1, start + 1_000_000n), message(2, Buffer.from('an event')), keyValue('k', 'v', 3)),
    message(15, message(2, Buffer.from('fine')), varint(3 * 8), varint(1)),
  ])
}

/** An `ExportTraceServiceRequest` whose one scope holds `spans` (each a span body, framed here). */
function protoRequest(spans: Buffer[]): Buffer {
  const resource = message(1, keyValue('service.name', 'fuzz-proto', 1))
  return message(1, resource, message(2, ...spans.map((body) => message(2, body))))
}

interface JsonSpanOverrides {
  [field: string]: unknown
}

function jsonSpan(overrides: JsonSpanOverrides = {}): Record<string, unknown> & { traceId: string } {
  const { traceId, spanId } = freshIds()
  const start = nowNs()
  return {
    traceId,
    spanId,
    name: 'GET /json',
    kind: 2,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 2_000_000n),
    attributes: [{ key: 'http.route', value: { stringValue: '/json' } }],
    events: [{ timeUnixNano: String(start), name: 'e', attributes: [] }],
    status: { code: 1, message: 'ok' },
    ...overrides,
  }
}

function jsonTraces(spans: unknown[], resourceAttributes: unknown[] = []): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz-json' } }, ...resourceAttributes] },
        scopeSpans: [{ scope: { name: 'fuzz' }, spans }],
      },
    ],
  })
}

/** Values of every wrong type, and right types with wrong values. */
const WRONG_VALUES: readonly unknown[] = [
  12345,
  -1,
  1e308,
  0.5,
  'x',
  '',
  '-5000000',
  '9'.repeat(40),
  '1e30',
  {},
  { nanos: 1 },
  [],
  [1, 'a', null],
  null,
  true,
]

describe('viewer: fuzzed hostile input', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  const escaped: unknown[] = []
  const onEscape = (error: unknown) => escaped.push(error)

  before(async () => {
    process.on('uncaughtException', onEscape)
    process.on('unhandledRejection', onEscape)
    base = await viewer.listen()
  })
  after(async () => {
    process.off('uncaughtException', onEscape)
    process.off('unhandledRejection', onEscape)
    await viewer.close()
  })
  afterEach(async () => {
    assert.deepEqual(escaped, [], 'nothing escaped as an uncaught exception or unhandled rejection')
    const stats = await fetch(`${base}/api/stats`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    assert.equal(stats.status, 200)
    await stats.json()
    assert.equal(viewer.failedRequests, 0, 'no request failed inside the viewer (those are the 500s)')
  })

  async function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<number> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : new Uint8Array(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    await response.arrayBuffer()
    return response.status
  }

  async function get(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    const text = await response.text()
    const json = (response.headers.get('content-type') ?? '').startsWith('application/json')
    // A 200 that is not JSON the client can parse is no sane answer either.
    return { status: response.status, body: json ? JSON.parse(text) : text }
  }

  /** Spans stored plus spans refused since `before`: each span sent must be one or the other. */
  function accounted(since: { spans: number; spansRejected: number }): number {
    const now = viewer.store.counters
    return now.spans - since.spans + (now.spansRejected - since.spansRejected)
  }
  const snapshot = () => ({ ...viewer.store.counters })

  /**
   * Streams `chunks` as one chunked POST, stopping once the answer arrives (a refusal comes
   * before the body's end), and resolves with the status and how long the answer took.
   */
  function streamPost(
    path: string,
    headers: Record<string, string>,
    chunks: Iterable<Buffer>,
  ): Promise<{ status: number; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = performance.now()
      let answered = false
      const req = request(`${base}${path}`, { method: 'POST', headers, timeout: REQUEST_TIMEOUT_MS })
      req.on('response', (res) => {
        answered = true
        res.resume()
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started })
          req.destroy()
        })
      })
      // Once answered, the viewer may close the connection under a body still being sent.
      req.on('error', (error) => (answered ? undefined : reject(error)))
      req.on('timeout', () => req.destroy(new Error('no answer in time')))
      const iterator = chunks[Symbol.iterator]()
      const pump = (): void => {
        while (!answered) {
          const next = iterator.next()
          if (next.done === true) return void req.end()
          if (!req.write(next.value)) return void req.once('drain', pump)
        }
      }
      pump()
    })
  }

  /**
   * Sends `head` on a raw connection, then `total` bytes of body in framed 1 MB chunks (after the
   * answer's status line when `answerFirst`), and resolves with the answer's status and whether the
   * viewer closed the connection before all of it was sent, i.e. stopped reading it.
   */
  function pushRaw(
    head: string,
    options: { answerFirst: boolean; total: number; frame: (chunk: Buffer) => Buffer },
  ): Promise<{ status: number; sent: number; closed: boolean }> {
    return new Promise((resolve) => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1')
      const chunk = options.frame(Buffer.alloc(1024 * 1024, 0x20))
      let answer = ''
      let sent = 0
      let pushing = false
      let refused = false
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        socket.destroy()
      }, REQUEST_TIMEOUT_MS)
      const push = (): void => {
        pushing = true
        while (sent < options.total && !socket.destroyed) {
          sent += chunk.length
          if (!socket.write(chunk)) return void socket.once('drain', push)
        }
      }
      socket.on('data', (data) => {
        answer += data.toString('latin1')
        if (!pushing && answer.includes('\r\n\r\n')) push()
      })
      // EPIPE or ECONNRESET while sending: the viewer closed the connection.
      socket.on('error', () => {
        refused = true
      })
      socket.on('close', () => {
        clearTimeout(timer)
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
        // Our own timeout is no close by the viewer: it held the connection open, unread.
        resolve({ status, sent, closed: !timedOut && (refused || sent < options.total) })
      })
      socket.write(head)
      if (!options.answerFirst) push()
    })
  }

  describe('body limits', () => {
    it('answers a declared length past the maximum with 413 before reading it, and stops reading', async () => {
      // A gigabyte declared and a few bytes sent: the answer must not wait for the rest.
      const result = await pushRaw(
        'POST /v1/traces HTTP/1.1\r\nhost: viewer\r\ncontent-type: application/json\r\n' +
          'content-length: 1000000000\r\n\r\n{"resourceSpans":',
        { answerFirst: true, total: PUSHED_BYTES, frame: (chunk) => chunk },
      )
      assert.equal(result.status, 413)
      assert.ok(result.closed, `the viewer stopped reading (${result.sent >> 20} MB sent of ${PUSHED_BYTES >> 20})`)
    })

    it('answers a chunked body past the maximum with 413, and stops reading an endless one', async () => {
      const megabyte = Buffer.alloc(1024 * 1024, 0x20)
      const chunks = function* () {
        for (let i = 0; i < 24; i++) yield megabyte
      }
      // A client that sends its whole body before reading (as exporters do) still reads the 413.
      for (let i = 0; i < 3; i++) assert.equal((await streamPost('/v1/traces', JSON_TYPE, chunks())).status, 413)
      const endless = await pushRaw(
        'POST /v1/traces HTTP/1.1\r\nhost: viewer\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
        {
          answerFirst: false,
          total: PUSHED_BYTES,
          frame: (chunk) =>
            Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
        },
      )
      assert.equal(endless.status, 413)
      assert.ok(endless.closed, `the viewer stopped reading (${endless.sent >> 20} MB sent of ${PUSHED_BYTES >> 20})`)
    })

    it('answers a gzip bomb with 413 quickly, holding little memory', async (t: TestContext) => {
      const bomb = await gzipBomb(200)
      t.diagnostic(`bomb: ${bomb.length} bytes gzipped, 200 MB inflated`)
      const before = process.memoryUsage().rss
      let peak = before
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss)
      }, 2)
      const chunks = function* () {
        for (let at = 0; at < bomb.length; at += 16 * 1024) yield bomb.subarray(at, at + 16 * 1024)
      }
      try {
        const { status, ms } = await streamPost('/v1/traces', { ...JSON_TYPE, 'content-encoding': 'gzip' }, chunks())
        assert.equal(status, 413)
        assert.ok(ms < 3000, `answered in ${ms.toFixed(0)} ms`)
      } finally {
        clearInterval(sampler)
      }
      peak = Math.max(peak, process.memoryUsage().rss)
      const growth = (peak - before) / 1024 / 1024
      assert.ok(growth < 100, `RSS grew ${growth.toFixed(1)} MB`)
    })

    it('answers gzip cut at every byte with 400', async (t: TestContext) => {
      const whole = gzipSync(jsonTraces([jsonSpan()]))
      for (let cut = 1; cut < whole.length; cut++) {
        const status = await post('/v1/traces', whole.subarray(0, cut), { ...JSON_TYPE, 'content-encoding': 'gzip' })
        assert.equal(status, 400, `cut at ${cut} of ${whole.length}`)
      }
      // And gzip that is not gzip at all.
      const notGzip = await post('/v1/traces', jsonTraces([]), { ...JSON_TYPE, 'content-encoding': 'gzip' })
      assert.equal(notGzip, 400)
      t.diagnostic(`${whole.length} inputs`)
    })

    it('answers an unsupported content-encoding with 415', async () => {
      const body = jsonTraces([jsonSpan()])
      for (const encoding of ['br', 'deflate', 'compress', 'zstd', 'gzip, br', 'x-gzip', 'gzip;q=1', '*']) {
        assert.equal(await post('/v1/traces', body, { ...JSON_TYPE, 'content-encoding': encoding }), 415, encoding)
      }
    })

    it('survives a client that goes away in the middle of a body, plain or gzipped', async () => {
      for (const gzip of [false, true]) {
        await new Promise<void>((resolve) => {
          const headers: Record<string, string> = { ...JSON_TYPE, 'content-length': '100000' }
          if (gzip) headers['content-encoding'] = 'gzip'
          const req = request(`${base}/v1/traces`, { method: 'POST', headers })
          req.on('error', () => resolve())
          req.write(gzip ? gzipSync(Buffer.alloc(100_000)).subarray(0, 50) : Buffer.alloc(500, 0x20))
          setTimeout(() => {
            req.destroy()
            resolve()
          }, 50)
        })
      }
    })
  })

  describe('protobuf', () => {
    it('answers a request cut at every byte offset with 200 (empty) or 400', async (t: TestContext) => {
      const ids = freshIds()
      const whole = protoRequest([spanBody(ids.traceId, ids.spanId)])
      for (let cut = 0; cut < whole.length; cut++) {
        const status = await post('/v1/traces', whole.subarray(0, cut), PROTO_TYPE)
        // A prefix of the one top-level field cannot be read; an empty body is an empty request.
        assert.equal(status, cut === 0 ? 200 : 400, `cut at ${cut} of ${whole.length}`)
      }
      assert.equal(viewer.store.trace(ids.traceId), undefined)
      t.diagnostic(`${whole.length} inputs`)
    })

    it('stores the spans beside one cut at every byte offset', async (t: TestContext) => {
      const probe = spanBody('00'.repeat(16), '00'.repeat(8))
      for (let cut = 0; cut <= probe.length; cut++) {
        const first = freshIds()
        const cutIds = freshIds()
        const last = freshIds()
        const counters = snapshot()
        const body = protoRequest([
          spanBody(first.traceId, first.spanId),
          spanBody(cutIds.traceId, cutIds.spanId).subarray(0, cut),
          spanBody(last.traceId, last.spanId),
        ])
        assert.equal(await post('/v1/traces', body, PROTO_TYPE), 200, `cut at ${cut}`)
        assert.ok(viewer.store.trace(first.traceId), `span before the cut one is stored (cut at ${cut})`)
        assert.ok(viewer.store.trace(last.traceId), `span after the cut one is stored (cut at ${cut})`)
        assert.equal(accounted(counters), 3, 'each span stored or counted as refused')
      }
      t.diagnostic(`${probe.length + 1} inputs`)
    })

    it('answers 500 seeded random byte mutations with 200 or 400, keeping the spans they miss', async (t: TestContext) => {
      const random = prng(0x5eed)
      const statuses = new Map<number, number>()
      const mutations = 500
      let confined = 0
      for (let i = 0; i < mutations; i++) {
        const a = freshIds()
        const b = freshIds()
        const second = spanBody(b.traceId, b.spanId)
        const body = Buffer.from(protoRequest([spanBody(a.traceId, a.spanId), second]))
        // Every other mutation stays inside the last span's fields, which end the buffer: its
        // framing and the first span are intact, so the first must be stored and the last
        // stored or refused, whatever the damage.
        const inSecond = i % 2 === 1
        const from = inSecond ? body.length - second.length : 0
        const flips = 1 + Math.floor(random() * 3)
        for (let f = 0; f < flips; f++) {
          const at = from + Math.floor(random() * (body.length - from))
          // Half flip one bit, half write any byte: small and large damage both.
          body[at] = random() < 0.5 ? body[at]! ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256)
        }
        const counters = snapshot()
        const status = await post('/v1/traces', body, PROTO_TYPE)
        assert.ok(status === 200 || status === 400, `mutation ${i}: ${status}`)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (inSecond) {
          confined++
          assert.equal(status, 200, `mutation ${i}`)
          assert.ok(viewer.store.trace(a.traceId), `mutation ${i}: the untouched span is stored`)
          assert.equal(accounted(counters), 2, `mutation ${i}: the damaged span is stored or refused`)
        }
      }
      t.diagnostic(
        `${mutations} inputs (${confined} inside one span): ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ')}`,
      )
    })

    it('answers malformed framing at the top level with 400', async () => {
      const overlong = Buffer.alloc(11, 0xff)
      const cases: [string, Buffer][] = [
        ['varint of 11 bytes as the tag', overlong],
        ['varint of 11 bytes as a length', Buffer.concat([Buffer.from([0x0a]), overlong])],
        ['length past the buffer', Buffer.concat([Buffer.from([0x0a]), varint(1000), Buffer.alloc(10)])],
        ['length of 2^50', Buffer.concat([Buffer.from([0x0a]), varint(2 ** 50), Buffer.alloc(10)])],
        ['resourceSpans as a varint', Buffer.from([0x08, 0x01])],
        ['resourceSpans as fixed64', Buffer.concat([Buffer.from([0x09]), Buffer.alloc(8)])],
        ['a group start (wire type 3)', Buffer.from([0x1b])],
        ['a group end (wire type 4)', Buffer.from([0x1c])],
        ['wire type 6', Buffer.from([0x1e, 0x00])],
        ['wire type 7', Buffer.from([0x1f, 0x00])],
        ['fixed64 cut short in an unknown field', Buffer.from([0x19, 0x01, 0x02])],
        ['fixed32 cut short in an unknown field', Buffer.from([0x1d, 0x01])],
        ['bytes cut short in an unknown field', Buffer.from([0x1a, 0x05, 0x01])],
      ]
      for (const [name, body] of cases) assert.equal(await post('/v1/traces', body, PROTO_TYPE), 400, name)
      for (const signal of ['logs', 'metrics']) {
        assert.equal(await post(`/v1/${signal}`, overlong, PROTO_TYPE), 400, signal)
      }
    })

    it('refuses a span with malformed framing alone, and stores its neighbours', async (t: TestContext) => {
      const overlong = Buffer.alloc(11, 0xff)
      const damaged: [string, (ids: { traceId: string; spanId: string }) => Buffer, boolean][] = [
        [
          'kind as an 11-byte varint',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(6 * 8), overlong]),
          true,
        ],
        [
          'name longer than the span',
          (ids) =>
            Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(5 * 8 + 2), varint(1000), Buffer.from('ab')]),
          true,
        ],
        [
          'name as a varint',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(5 * 8), varint(7)]),
          true,
        ],
        [
          'trace id as fixed64',
          (ids) => Buffer.concat([varint(1 * 8 + 1), Buffer.alloc(8, 1), spanBody(ids.traceId, ids.spanId)]),
          true,
        ],
        [
          'attributes as a varint',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(9 * 8), varint(1)]),
          true,
        ],
        [
          'events as fixed32',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(11 * 8 + 5), Buffer.alloc(4)]),
          true,
        ],
        [
          'an unknown field of wire type 7',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(99 * 8 + 7)]),
          true,
        ],
        [
          'start time cut short',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(7 * 8 + 1), Buffer.alloc(3)]),
          true,
        ],
        [
          'a 10-byte varint past 64 bits as kind',
          (ids) =>
            Buffer.concat([
              spanBody(ids.traceId, ids.spanId),
              varint(6 * 8),
              Buffer.alloc(9, 0xff),
              Buffer.from([0x7f]),
            ]),
          false,
        ],
        [
          'start time sent length-delimited',
          (ids) => Buffer.concat([spanBody(ids.traceId, ids.spanId), varint(7 * 8 + 2), varint(8), Buffer.alloc(8)]),
          false,
        ],
        ['an empty span', () => Buffer.alloc(0), true],
      ]
      for (const [name, build, refused] of damaged) {
        const first = freshIds()
        const bad = freshIds()
        const last = freshIds()
        const counters = snapshot()
        const body = protoRequest([
          spanBody(first.traceId, first.spanId),
          build(bad),
          spanBody(last.traceId, last.spanId),
        ])
        assert.equal(await post('/v1/traces', body, PROTO_TYPE), 200, name)
        assert.ok(viewer.store.trace(first.traceId), `${name}: the span before is stored`)
        assert.ok(viewer.store.trace(last.traceId), `${name}: the span after is stored`)
        assert.equal(accounted(counters), 3, name)
        if (refused) {
          assert.equal(viewer.store.counters.spansRejected - counters.spansRejected, 1, `${name}: refused`)
          assert.equal(viewer.store.trace(bad.traceId), undefined, name)
        }
      }
      t.diagnostic(`${damaged.length} inputs`)
    })

    it('stores a span whose attribute values nest 1000 deep, cut at the nesting limit', async () => {
      const leaf = message(1, Buffer.from('leaf'))
      let kvlist = leaf
      let array = leaf
      for (let depth = 0; depth < 1000; depth++) {
        kvlist = message(6, message(1, message(1, Buffer.from('k')), message(2, kvlist)))
        array = message(5, message(1, array))
      }
      const ids = freshIds()
      const body = protoRequest([
        Buffer.concat([
          spanBody(ids.traceId, ids.spanId),
          message(9, message(1, Buffer.from('deep.map')), message(2, kvlist)),
          message(9, message(1, Buffer.from('deep.array')), message(2, array)),
        ]),
      ])
      assert.equal(await post('/v1/traces', body, PROTO_TYPE), 200)
      const { body: detail } = await get(`/api/traces/${ids.traceId}`)
      const attributes = (detail as { spans: { attributes: Record<string, unknown> }[] }).spans[0]!.attributes
      for (const key of ['deep.map', 'deep.array']) {
        const value = attributes[key]
        assert.equal(typeof value, 'string', key)
        assert.ok((value as string).includes('"…"'), `${key} is cut at the nesting limit`)
        assert.ok((value as string).length < 1000, key)
      }
    })
  })

  describe('JSON', () => {
    it('answers malformed JSON and JSON that is no object with 400', async (t: TestContext) => {
      const bodies = [
        '',
        ' ',
        '{',
        '}',
        '{"resourceSpans":[}',
        '{"resourceSpans":[{]}',
        "{'resourceSpans':[]}",
        '{"a":1,}',
        '{"a":"\\x"}',
        '{"a":"\\ud83"}',
        'nul',
        'undefined',
        'NaN',
        '\ufeff{}',
        '{"a":1}garbage',
        '[1,2',
        '\u0000',
        'null',
        '1',
        '"resourceSpans"',
        'true',
        '{'.repeat(100_000),
      ]
      for (const signal of ['traces', 'logs', 'metrics']) {
        for (const body of bodies) {
          assert.equal(await post(`/v1/${signal}`, body, JSON_TYPE), 400, `${signal}: ${body.slice(0, 40)}`)
        }
      }
      t.diagnostic(`${bodies.length * 3} inputs`)
    })

    it('takes a wrong type in any span field as the span alone', async (t: TestContext) => {
      const fields = [
        'traceId',
        'spanId',
        'parentSpanId',
        'name',
        'kind',
        'startTimeUnixNano',
        'endTimeUnixNano',
        'attributes',
        'events',
        'status',
        'droppedAttributesCount',
      ]
      const nested: [string, (value: unknown) => JsonSpanOverrides][] = [
        ['status.code', (v) => ({ status: { code: v, message: 'm' } })],
        ['status.message', (v) => ({ status: { code: 2, message: v } })],
        ['attribute', (v) => ({ attributes: [v] })],
        ['attribute key', (v) => ({ attributes: [{ key: v, value: { stringValue: 's' } }] })],
        ['attribute value', (v) => ({ attributes: [{ key: 'k', value: v }] })],
        ...(['stringValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue'] as const).map(
          (kind) =>
            [`${kind}`, (v: unknown) => ({ attributes: [{ key: 'k', value: { [kind]: v } }] })] as [
              string,
              (value: unknown) => JsonSpanOverrides,
            ],
        ),
        ['arrayValue', (v) => ({ attributes: [{ key: 'k', value: { arrayValue: v } }] })],
        ['arrayValue.values', (v) => ({ attributes: [{ key: 'k', value: { arrayValue: { values: v } } }] })],
        ['kvlistValue', (v) => ({ attributes: [{ key: 'k', value: { kvlistValue: v } }] })],
        [
          'kvlistValue.values',
          (v) => ({ attributes: [{ key: 'k', value: { kvlistValue: { values: [v, { key: v, value: v }] } } }] }),
        ],
        ['event', (v) => ({ events: [v] })],
        ['event name', (v) => ({ events: [{ name: v, timeUnixNano: '1' }] })],
        ['event time', (v) => ({ events: [{ name: 'e', timeUnixNano: v }] })],
        ['event attributes', (v) => ({ events: [{ name: 'e', attributes: v }] })],
      ]
      let inputs = 0
      for (const value of WRONG_VALUES) {
        const variants = [...fields.map((field) => ({ [field]: value })), ...nested.map(([, build]) => build(value))]
        for (const overrides of variants) {
          const counters = snapshot()
          const status = await post('/v1/traces', jsonTraces([jsonSpan(overrides)]), JSON_TYPE)
          assert.equal(status, 200, `${JSON.stringify(overrides).slice(0, 80)}`)
          assert.equal(accounted(counters), 1, `stored or refused: ${JSON.stringify(overrides).slice(0, 80)}`)
          inputs++
        }
      }
      t.diagnostic(`${inputs} inputs`)
    })

    it('takes a wrong type in the request envelope, log or metric fields without a 500', async (t: TestContext) => {
      const start = String(nowNs())
      const logRecord = (overrides: Record<string, unknown>) => ({
        timeUnixNano: start,
        severityNumber: 9,
        severityText: 'INFO',
        body: { stringValue: 'hello' },
        attributes: [{ key: 'request_id', value: { stringValue: 'r' } }],
        ...overrides,
      })
      const logs = (records: unknown) =>
        JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: records }] }] })
      const metrics = (metric: unknown) =>
        JSON.stringify({ resourceMetrics: [{ resource: {}, scopeMetrics: [{ metrics: [metric] }] }] })
      let inputs = 0
      for (const value of WRONG_VALUES) {
        const bodies: [string, string][] = [
          ['traces', JSON.stringify({ resourceSpans: value })],
          ['traces', JSON.stringify({ resourceSpans: [value] })],
          ['traces', JSON.stringify({ resourceSpans: [{ resource: value, scopeSpans: [{ spans: [jsonSpan()] }] }] })],
          ['traces', JSON.stringify({ resourceSpans: [{ resource: { attributes: value }, scopeSpans: [] }] })],
          ['traces', JSON.stringify({ resourceSpans: [{ scopeSpans: value }] })],
          ['traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ scope: value, spans: value }] }] })],
          ['traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [value] }] }] })],
          ['logs', logs(value)],
          ['logs', logs([value])],
          ...[
            'timeUnixNano',
            'observedTimeUnixNano',
            'severityNumber',
            'severityText',
            'body',
            'attributes',
            'traceId',
            'spanId',
          ].map((field) => ['logs', logs([logRecord({ [field]: value })])] as [string, string]),
          ['logs', logs([logRecord({ body: { kvlistValue: { values: [value] } } })])],
          ['metrics', metrics(value)],
          ...['name', 'unit', 'gauge', 'sum', 'histogram', 'summary', 'exponentialHistogram'].map(
            (field) => ['metrics', metrics({ name: 'm', [field]: value })] as [string, string],
          ),
          ['metrics', metrics({ name: 'm', gauge: { dataPoints: value } })],
          ['metrics', metrics({ name: 'm', gauge: { dataPoints: [value] } })],
          ...['timeUnixNano', 'asDouble', 'asInt', 'attributes'].map(
            (field) =>
              ['metrics', metrics({ name: 'm', sum: { dataPoints: [{ [field]: value }] } })] as [string, string],
          ),
          ...['count', 'sum', 'attributes'].map(
            (field) =>
              ['metrics', metrics({ name: 'm', histogram: { dataPoints: [{ [field]: value }] } })] as [string, string],
          ),
        ]
        for (const [signal, body] of bodies) {
          assert.equal(await post(`/v1/${signal}`, body, JSON_TYPE), 200, `${signal}: ${body.slice(0, 100)}`)
          inputs++
        }
      }
      t.diagnostic(`${inputs} inputs`)
    })

    it('keeps __proto__ and constructor as plain keys, and pollutes nothing', async () => {
      const keys = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']
      const attributes = keys.map((key) => ({ key, value: { stringValue: `value of ${key}` } }))
      const span = jsonSpan({
        attributes: [
          ...attributes,
          { key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } },
        ],
        events: [{ name: '__proto__', timeUnixNano: String(nowNs()), attributes }],
      })
      // Raw JSON too: `{"__proto__": …}` as an object key in every object the normaliser reads.
      const body = jsonTraces([span], attributes)
        .replace('"scope":{"name":"fuzz"}', '"scope":{"__proto__":{"polluted":true},"name":"fuzz"}')
        .replace('"status":{', '"status":{"__proto__":{"polluted":true},')
      assert.equal(await post('/v1/traces', body, JSON_TYPE), 200)
      const logBody = JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(nowNs()),
                    body: { stringValue: 'proto log' },
                    traceId: span.traceId,
                    attributes,
                  },
                ],
              },
            ],
          },
        ],
      })
      assert.equal(await post('/v1/logs', logBody, JSON_TYPE), 200)
      assert.equal(({} as { polluted?: unknown }).polluted, undefined, 'Object.prototype is untouched')

      const text = await (await fetch(`${base}/api/traces/${span.traceId}`)).text()
      const detail = JSON.parse(text) as {
        spans: {
          attributes: Record<string, unknown>
          events: { name: string; attributes: Record<string, unknown> }[]
        }[]
        logs: { attributes: Record<string, unknown> }[]
      }
      const stored = detail.spans[0]!
      for (const key of keys.slice(1)) assert.equal(stored.attributes[key], `value of ${key}`, key)
      // The last `__proto__` attribute wins, as any repeated key does; as JSON text, since it is a map.
      assert.ok(Object.hasOwn(stored.attributes, '__proto__'), 'span attribute __proto__ is a plain key')
      assert.equal(Object.getOwnPropertyDescriptor(stored.attributes, '__proto__')?.value, '{"polluted":true}')
      assert.equal(stored.events[0]!.name, '__proto__')
      for (const key of keys)
        assert.equal(Object.getOwnPropertyDescriptor(stored.events[0]!.attributes, key)?.value, `value of ${key}`, key)
      for (const key of keys)
        assert.equal(Object.getOwnPropertyDescriptor(detail.logs[0]!.attributes, key)?.value, `value of ${key}`, key)
      // Resource attributes other than service.name are not kept: the service is still the one named.
      assert.equal((detail as unknown as { service: string }).service, 'fuzz-json')
    })

    it('serves services and routes named after Object.prototype members', async () => {
      for (const name of ['__proto__', 'constructor', 'toString']) {
        const start = nowNs()
        const body = JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: name } }] },
              scopeSpans: [
                {
                  spans: [
                    {
                      ...jsonSpan(),
                      startTimeUnixNano: String(start),
                      attributes: [{ key: 'http.route', value: { stringValue: name } }],
                    },
                  ],
                },
              ],
            },
          ],
        })
        assert.equal(await post('/v1/traces', body, JSON_TYPE), 200)
      }
      const { body } = await get('/api/services')
      const services = (body as { services: { service: string; routes: { route: string }[] }[] }).services
      for (const name of ['__proto__', 'constructor', 'toString']) {
        const service = services.find((s) => s.service === name)
        assert.ok(service, `service ${name}`)
        assert.deepEqual(
          service.routes.map((r) => r.route),
          [name],
        )
        const traces = await get(`/api/traces?service=${encodeURIComponent(name)}&route=${encodeURIComponent(name)}`)
        assert.equal((traces.body as { traces: unknown[] }).traces.length, 1, name)
      }
      assert.equal(({} as { polluted?: unknown }).polluted, undefined)
    })

    it('caps huge numbers of attributes and events, and huge values', async () => {
      const limits = viewer.store.limits
      const many = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } }))
      const events = Array.from({ length: 5_000 }, (_, i) => ({ name: `e${i}`, timeUnixNano: String(nowNs()) }))
      // One event over the attribute cap too; on all of them the body would pass the size cap.
      Object.assign(events[0]!, { attributes: many.slice(0, 200) })
      const span = jsonSpan({
        attributes: [
          { key: 'big', value: { stringValue: 'x'.repeat(1_000_000) } },
          { key: 'k'.repeat(10_000), value: { stringValue: 'long key' } },
          ...many,
        ],
        events,
      })
      const counters = snapshot()
      assert.equal(await post('/v1/traces', jsonTraces([span]), JSON_TYPE), 200)
      const now = viewer.store.counters
      assert.equal(
        now.attributesDropped - counters.attributesDropped,
        10_002 - limits.maxAttributes + (200 - limits.maxAttributes),
      )
      assert.equal(now.eventsDropped - counters.eventsDropped, 5_000 - limits.maxEvents)
      const stored = viewer.store.trace(span.traceId)!.spans[0]!
      assert.equal(Object.keys(stored.attributes).length, limits.maxAttributes)
      assert.equal(stored.events.length, limits.maxEvents)
      assert.equal((stored.attributes.big as string).length, limits.maxValueLength + 1)
      assert.ok(Object.keys(stored.attributes).every((key) => key.length <= limits.maxKeyLength + 1))
    })

    it('stores bytes that are not UTF-8 as replacement characters, and serves valid JSON', async () => {
      const ids = freshIds()
      const text = jsonTraces([{ ...jsonSpan(), ...ids, name: 'NAME' }])
      // Invalid lead bytes, an overlong NUL, an encoded surrogate, a sequence cut short.
      const bad = [
        Buffer.from([0xff, 0xfe]),
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xe2, 0x82]),
      ]
      const [head, tail] = text.split('NAME') as [string, string]
      const jsonBody = Buffer.concat([Buffer.from(head), ...bad, Buffer.from('\\ud800 lone'), Buffer.from(tail)])
      assert.equal(await post('/v1/traces', jsonBody, JSON_TYPE), 200)
      const proto = freshIds()
      const protoBody = protoRequest([spanBody(proto.traceId, proto.spanId, Buffer.concat(bad))])
      assert.equal(await post('/v1/traces', protoBody, PROTO_TYPE), 200)
      for (const traceId of [ids.traceId, proto.traceId]) {
        const response = await fetch(`${base}/api/traces/${traceId}`)
        assert.equal(response.status, 200)
        const detail = (await response.json()) as { spans: { name: string }[] }
        assert.ok(detail.spans[0]!.name.includes('\ufffd'), `${traceId}: ${JSON.stringify(detail.spans[0]!.name)}`)
      }
    })
  })

  describe('URLs and query strings', () => {
    const ESCAPES = [
      '%',
      '%%',
      '%zz',
      '%E0%A4%A',
      '%C0%80',
      '%ED%A0%80',
      '%00',
      '%FF',
      '%u0041',
      '%F0%9F',
      'a%2',
      '%2525',
    ]
    const ODD_VALUES = [
      '-1',
      '-0',
      '0',
      '1e309',
      '-1e309',
      '1e-309',
      'abc',
      'NaN',
      'Infinity',
      '0x10',
      '1.5',
      ' 7 ',
      '9'.repeat(400),
      '__proto__',
      'constructor',
      '',
    ]
    const ENDPOINTS: Record<string, string[]> = {
      '/api/traces': ['service', 'route', 'status', 'error', 'minDurationMs', 'q', 'limit'],
      '/api/logs': ['service', 'level', 'text', 'requestId', 'traceId', 'limit'],
      '/api/metrics': ['name', 'service', 'limit'],
      '/api/services': ['x'],
      '/api/stats': ['x'],
    }

    /** A 4xx, or a 200 with JSON whose lists the limits keep short. */
    function assertSane(path: string, answer: { status: number; body: unknown }): void {
      assert.ok(answer.status < 500, `${path.slice(0, 120)}: ${answer.status}`)
      if (answer.status !== 200) return
      const body = answer.body as Record<string, unknown>
      assert.equal(typeof body, 'object', path.slice(0, 120))
      for (const list of ['traces', 'logs', 'points']) {
        const items = body[list]
        if (items !== undefined)
          assert.ok(Array.isArray(items) && items.length <= 10_000, `${path.slice(0, 120)}: ${list}`)
      }
    }

    it('answers malformed escapes and odd values in every parameter sanely', async (t: TestContext) => {
      let inputs = 0
      for (const [endpoint, params] of Object.entries(ENDPOINTS)) {
        for (const param of params) {
          for (const value of [...ESCAPES, ...ODD_VALUES]) {
            const path = `${endpoint}?${param}=${value}`
            assertSane(path, await get(path))
            inputs++
          }
          // Repeated, valueless and empty parameters.
          for (const query of [
            `${param}=1&${param}=-1&${param}=%zz`,
            param,
            `${param}=`,
            `&&${param}&&=&`,
            `${param}[]=1`,
            `${param}=1;${param}=2`,
          ]) {
            const path = `${endpoint}?${query}`
            assertSane(path, await get(path))
            inputs++
          }
        }
      }
      t.diagnostic(`${inputs} inputs`)
    })

    it('bounds the list whatever the limit asks for', async () => {
      for (const limit of ['-1', '1e309', 'abc', '100000000', '1e6']) {
        const traces = (await get(`/api/traces?limit=${limit}`)).body as { traces: unknown[] }
        assert.ok(traces.traces.length <= 1000, limit)
        const logs = (await get(`/api/logs?limit=${limit}`)).body as { logs: unknown[] }
        assert.ok(logs.logs.length <= 2000, limit)
      }
    })

    it('answers malformed trace ids and paths with 4xx', async (t: TestContext) => {
      const paths = [
        ...ESCAPES.map((broken) => `/api/traces/${broken}`),
        ...ESCAPES.map((broken) => `/api/${broken}`),
        ...ESCAPES.map((broken) => `/traces/${broken}`),
        ...ESCAPES.map((broken) => `/logs?service=${broken}`),
        `/api/traces/${'f'.repeat(10_000)}`,
        '/api/traces/',
        '/api/traces/%2F..%2Fstats',
        '/api/traces/../stats',
        '//api/stats',
        '/api//traces',
        '/assets/%2e%2e%2fserver.js',
        '/assets/../package.json',
      ]
      for (const path of paths) {
        const answer = await get(path)
        assert.ok(answer.status < 500, `${path}: ${answer.status}`)
      }
      for (const broken of ESCAPES.slice(0, 6)) assert.equal((await get(`/api/traces/${broken}`)).status, 400, broken)
      t.diagnostic(`${paths.length} inputs`)
    })

    it('answers request targets fetch would not send with 4xx, or serves them', async () => {
      const port = Number(new URL(base).port)
      for (const target of [
        '%zz',
        '*',
        'http://viewer/api/stats',
        '/api/stats?%',
        '/api/traces/%E0%A4%A',
        '/\u00ff',
        '/api/stats#frag',
      ]) {
        const head = await new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1')
          let data = ''
          socket.on('data', (chunk) => {
            data += chunk.toString('latin1')
          })
          socket.on('error', reject)
          socket.on('close', () => resolve(data))
          socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy())
          socket.end(`GET ${target} HTTP/1.1\r\nhost: viewer\r\nconnection: close\r\n\r\n`, 'latin1')
        })
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
        assert.ok(status >= 200 && status < 500, `${target}: ${head.slice(0, 40)}`)
      }
    })

    it('answers a 12 KB query with 200 and a 64 KB one with a 4xx', async () => {
      for (const param of ['q', 'service', 'route', 'text']) {
        const endpoint = param === 'text' ? '/api/logs' : '/api/traces'
        assert.equal((await get(`${endpoint}?${param}=${'%zz'.repeat(4096)}`)).status, 200, param)
        const huge = await get(`${endpoint}?${param}=${'a'.repeat(64 * 1024)}`)
        assert.ok(huge.status >= 400 && huge.status < 500, `${param}: ${huge.status}`)
        const repeated = await get(`${endpoint}?${`${param}=a&`.repeat(1500)}`)
        assert.equal(repeated.status, 200, `${param} repeated`)
      }
    })
  })
})

/** `megabytes` MB of zeros, gzipped as a stream (the inflated bytes never exist at once here). */
async function gzipBomb(megabytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 })
  const out: Buffer[] = []
  gzip.on('data', (chunk: Buffer) => out.push(chunk))
  const zeros = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < megabytes; i++) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve))
  }
  await new Promise<void>((resolve) => gzip.end(resolve))
  return Buffer.concat(out)
}
