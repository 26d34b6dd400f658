/**
 * Tracing end to end: spans exported over real OTLP/HTTP to an in-test receiver, W3C propagation in
 * and out, log correlation on parsed lines, exemplars on a parsed OpenMetrics scrape, sampling.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { createSightline, type Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import { currentSpan, setupTracing, type Tracing, withSpan } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { findSamples, parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { close, listen } from '../helpers/server.js'

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const INCOMING_SPAN = '00f067aa0ba902b7'

describe('tracing', () => {
  let receiver: OtlpReceiver
  let downstream: Server
  let downstreamUrl: string
  const downstreamHeaders: IncomingHttpHeaders[] = []
  let sightline: Sightline
  let tracing: Tracing
  let app: FastifyInstance
  let url: string
  let logs: LogCapture

  const start = async (ratio: number, endpoint?: string) => {
    logs = new LogCapture()
    sightline = createSightline({
      service: 'traced-api',
      logFormat: 'json',
      logDestination: logs,
      shutdown: { signals: false },
    })
    tracing = await setupTracing(sightline, {
      ratio,
      protocol: 'http/json',
      endpoint: endpoint ?? `${receiver.url}/v1/traces`,
      environment: 'test',
      scheduledDelayMillis: 60000,
      exportTimeoutMillis: 1000,
      maxQueueSize: 64,
    })
    app = Fastify({ logger: false })
    await app.register(sightlineFastify, { sightline })
    app.get('/users/:id', async (request) => {
      sightline.logger.info('in handler')
      const downstreamStatus = await withSpan('load_user', async (span) => {
        span.setAttribute('user.id', (request.params as { id: string }).id)
        sightline.logger.info('in manual span')
        const response = await fetch(`${downstreamUrl}/profile`)
        await response.arrayBuffer()
        return response.status
      })
      return { ok: downstreamStatus === 200, span: currentSpan()?.spanContext().spanId }
    })
    app.get('/fail', async () => {
      throw new Error('database exploded')
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  }

  const stop = async () => {
    await app.close()
    await tracing.shutdown()
    await sightline.close()
  }

  before(async () => {
    receiver = await new OtlpReceiver().start()
    downstream = createServer((req, res) => {
      downstreamHeaders.push(req.headers)
      res.end('{}')
    })
    downstreamUrl = await listen(downstream)
  })
  after(async () => {
    await receiver.close()
    await close(downstream)
  })

  describe('sampled (ratio 1)', () => {
    before(() => start(1))
    after(() => stop())

    test('a request continues the incoming trace: server span, manual child, client span, downstream headers', async () => {
      const response = await fetch(`${url}/users/7?secret=x`, {
        headers: { traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01`, 'x-request-id': 'req-trace-1' },
      })
      assert.equal(response.status, 200)
      await tracing.forceFlush()
      const server = receiver.byName('GET /users/:id').find((s) => s.traceId === INCOMING_TRACE)
      assert.ok(server, `server span exported; got ${receiver.spans.map((s) => s.name).join(', ')}`)
      assert.equal(server.parentSpanId, INCOMING_SPAN)
      assert.equal(server.kind, 2, 'SERVER')
      assert.equal(server.attributes['http.request.method'], 'GET')
      assert.equal(server.attributes['http.route'], '/users/:id')
      assert.equal(server.attributes['url.path'], '/users/7', 'no query string')
      assert.equal(server.attributes['http.response.status_code'], 200)
      assert.equal(server.attributes['url.scheme'], 'http')
      assert.equal(server.attributes['network.protocol.version'], '1.1')
      assert.equal(server.attributes['client.address'], '127.0.0.1', 'the peer of the connection')
      assert.equal(server.attributes['server.address'], '127.0.0.1')
      assert.equal(server.attributes['server.port'], Number(new URL(url).port))
      assert.equal(server.resource['service.name'], 'traced-api')
      assert.equal(server.resource['deployment.environment.name'], 'test')
      assert.equal(typeof server.resource['host.name'], 'string')
      const manual = receiver.byName('load_user').find((s) => s.traceId === INCOMING_TRACE)
      assert.equal(manual?.parentSpanId, server.spanId)
      assert.equal(manual?.attributes['user.id'], '7')
      const client = receiver.byName('GET').find((s) => s.traceId === INCOMING_TRACE && s.kind === 3)
      assert.equal(client?.parentSpanId, manual?.spanId)
      assert.equal(client?.attributes['http.response.status_code'], 200)
      const sent = downstreamHeaders.at(-1)
      assert.equal(sent?.traceparent, `00-${INCOMING_TRACE}-${client?.spanId}-01`)
      assert.equal(sent?.['x-request-id'], 'req-trace-1')
    })

    test('every log line of the request carries its trace ids; lines in a manual span carry its span id', async () => {
      const handler = await logs.waitFor((l) => l.msg === 'in handler' && l.request_id === 'req-trace-1')
      const manual = await logs.waitFor((l) => l.msg === 'in manual span' && l.request_id === 'req-trace-1')
      const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'req-trace-1')
      const server = receiver.byName('GET /users/:id').find((s) => s.traceId === INCOMING_TRACE)
      const span = receiver.byName('load_user').find((s) => s.traceId === INCOMING_TRACE)
      for (const line of [handler, manual, access]) {
        assert.equal(line.trace_id, INCOMING_TRACE)
        assert.equal(line.trace_flags, '01')
      }
      assert.equal(handler.span_id, server?.spanId)
      assert.equal(access.span_id, server?.spanId, 'the access line is written while the server span is current')
      assert.equal(manual.span_id, span?.spanId)
    })

    test('an invalid traceparent is ignored and a fresh trace starts', async () => {
      const response = await fetch(`${url}/users/8`, {
        headers: { traceparent: '00-zzzz-not-valid-01', 'x-request-id': 'bad-tp' },
      })
      assert.equal(response.status, 200)
      const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'bad-tp')
      await tracing.forceFlush()
      const server = receiver.byName('GET /users/:id').find((s) => s.traceId === access.trace_id)
      assert.ok(server)
      assert.equal(server.parentSpanId, undefined)
      assert.match(String(access.trace_id), /^[0-9a-f]{32}$/)
    })

    test('a 5xx marks the span as an error with the exception recorded', async () => {
      assert.equal((await fetch(`${url}/fail`, { headers: { 'x-request-id': 'fail-1' } })).status, 500)
      const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'fail-1')
      await tracing.forceFlush()
      const span = receiver.byName('GET /fail').find((s) => s.traceId === access.trace_id)
      assert.equal(span?.status?.code, 2, 'ERROR')
      assert.equal(span?.attributes['error.type'], 'Error')
      const exception = span?.events?.find((e) => e.name === 'exception')
      assert.ok(exception)
      assert.ok(JSON.stringify(exception).includes('database exploded'))
    })

    test('latency observations of sampled requests carry a trace_id exemplar (OpenMetrics)', async () => {
      const text = await (await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text' } })).text()
      const withExemplar = findSamples(parseMetrics(text), 'http_server_request_duration_seconds_bucket', {
        http_route: '/users/:id',
      }).filter((s) => s.exemplar !== undefined)
      assert.ok(withExemplar.length > 0)
      const traceIds = new Set(receiver.spans.map((s) => s.traceId))
      for (const sample of withExemplar) assert.ok(traceIds.has(String(sample.exemplar?.labels.trace_id)))
      const plain = await (await fetch(`${url}/metrics`)).text()
      assert.doesNotMatch(plain, /# \{trace_id/, 'exemplars only in OpenMetrics')
      assert.ok((sampleValue(parseMetrics(plain), 'sightline_spans_exported_total') ?? 0) >= 4)
    })
  })

  describe('unsampled (ratio 0)', () => {
    before(() => start(0))
    after(() => stop())

    test('no span is exported, yet logs and downstream calls carry the trace ids with flags 00', async () => {
      const before = receiver.spans.length
      const response = await fetch(`${url}/users/9`, { headers: { 'x-request-id': 'unsampled-1' } })
      assert.equal(response.status, 200)
      await tracing.forceFlush()
      assert.equal(receiver.spans.length, before)
      const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'unsampled-1')
      assert.equal(access.trace_flags, '00')
      const sent = downstreamHeaders.at(-1)
      // Not sampled (bit 0 clear); the trace is Sightline's own, its id random (Level 2's bit 1).
      assert.match(String(sent?.traceparent), new RegExp(`^00-${access.trace_id}-[0-9a-f]{16}-02$`))
      assert.equal(sent?.['x-request-id'], 'unsampled-1')
    })

    test('a sampled parent is honoured (parent-based sampling)', async () => {
      const response = await fetch(`${url}/users/10`, {
        headers: { traceparent: `00-${'a'.repeat(32)}-${INCOMING_SPAN}-01` },
      })
      assert.equal(response.status, 200)
      await tracing.forceFlush()
      assert.ok(receiver.byName('GET /users/:id').some((s) => s.traceId === 'a'.repeat(32)))
    })
  })

  describe('collector outage', () => {
    test('a collector answering 503 or hanging never touches requests; lost spans are counted; flush is bounded', async () => {
      receiver.mode = 'fail'
      await start(1)
      try {
        for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/users/${i}`)).status, 200)
        // The SDK rejects a flush that outlives exportTimeoutMillis; Sightline's shutdown swallows that.
        await tracing.forceFlush().catch(() => {})
        receiver.mode = 'hang'
        for (let i = 0; i < 5; i++) {
          const started = performance.now()
          assert.equal((await fetch(`${url}/users/${i}`)).status, 200)
          assert.ok(performance.now() - started < 1000, 'a hung collector does not slow requests')
        }
        const started = performance.now()
        await tracing.forceFlush().catch(() => {})
        assert.ok(performance.now() - started < 5000, 'the export timeout bounds the flush')
        let failed = 0
        for (let i = 0; i < 50 && failed < 15; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text())
          failed = sampleValue(samples, 'sightline_spans_dropped_total', { reason: 'export_failed' }) ?? 0
        }
        assert.ok(failed >= 15, `spans of failed exports counted: ${failed}`)
        // And told, once: the first failure is logged with the collector's answer; the next ones,
        // within the minute, only counted.
        const warned = logs.lines.filter((l) => l.msg === 'span export failed; the spans are dropped')
        assert.equal(warned.length, 1, JSON.stringify(warned))
        assert.equal(warned[0]?.level, 'warn')
        assert.ok(Number(warned[0]?.spans_dropped) >= 1)
        assert.match(String((warned[0]?.err as { message?: string })?.message), /Export failed|503/)
        const shutdownStarted = performance.now()
        await sightline.shutdown('test')
        assert.ok(performance.now() - shutdownStarted < 8000, 'shutdown finishes within its bound')
      } finally {
        receiver.mode = 'ok'
        await stop()
      }
    })

    test('while an export hangs the queue overflows: spans are dropped and counted, memory bounded', async () => {
      receiver.mode = 'hang'
      await start(1)
      try {
        // 64-span queue: one batch leaves for the hung export, the next fills the queue, the rest is dropped.
        for (let i = 0; i < 100; i++) await (await fetch(`${url}/users/${i}`)).arrayBuffer()
        const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text())
        assert.ok((sampleValue(samples, 'sightline_spans_dropped_total', { reason: 'queue_full' }) ?? 0) > 0)
      } finally {
        receiver.mode = 'ok'
        await stop()
      }
    })
  })
})
