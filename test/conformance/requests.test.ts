/**
 * @module test/conformance/requests
 * The adapter conformance suite, part two (part one is pipeline.test.ts, the drain is
 * drain.test.ts): the same requests against every adapter's app (node:http, Fastify, Express,
 * Hono, Koa, NestJS on Express and on Fastify), asserting on the server span read back from a real
 * OTLP receiver, the parsed access line and the reply: a matched route, an unmatched one, an odd
 * method, a thrown error, an aborted request and a body that does not parse.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { findSamples, parseMetrics } from '../helpers/metrics.js'
import { OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js'
import { ADAPTERS, rawRequest, startApp, type TestApp } from './apps.js'

const IS_DENO = (process.versions as { deno?: string }).deno !== undefined
/** The request asks to close; the client keeps its side open until then (Deno ends a half-closed connection unanswered). */
const KEEP_OPEN = { halfClose: false }
const SPAN_KIND_SERVER = 2
const STATUS_ERROR = 2
const SECRET = 'LEAKPW9'
const BAD_JSON = `{"name":"Ada","password":${SECRET}}`

for (const adapter of ADAPTERS) {
  describe(`conformance on ${adapter}`, () => {
    let app: TestApp
    let receiver: OtlpReceiver
    let tracing: Tracing
    before(async () => {
      receiver = await new OtlpReceiver().start()
      app = await startApp(adapter)
      tracing = await setupTracing(app.sightline, {
        ratio: 1,
        protocol: 'http/json',
        endpoint: `${receiver.url}/v1/traces`,
        scheduledDelayMillis: 60_000,
      })
    })
    after(async () => {
      await tracing.shutdown()
      await app.close()
      await receiver.close()
    })

    /** The access line of request `id`, and its server span (matched by trace id). */
    async function observed(id: string): Promise<{ line: Record<string, unknown>; span: ReceivedSpan }> {
      const line = await app.logs.waitFor((l) => l.msg === 'request completed' && l.request_id === id)
      await tracing.forceFlush()
      const span = receiver.spans.find((s) => s.traceId === line.trace_id && s.kind === SPAN_KIND_SERVER)
      assert.ok(span, `a server span for ${id} (trace ${String(line.trace_id)})`)
      return { line, span }
    }

    test('a matched route: the span is named by its template and carries the semantic-convention attributes', async () => {
      const response = await fetch(`${app.url}/users/7?q=1`, { headers: { 'x-request-id': 'c-ok' } })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('x-request-id'), 'c-ok')
      await response.arrayBuffer()
      const { line, span } = await observed('c-ok')
      assert.equal(line.route, '/users/:id')
      assert.equal(span.name, 'GET /users/:id')
      assert.equal(span.attributes['http.route'], '/users/:id')
      assert.equal(span.attributes['http.request.method'], 'GET')
      assert.equal(span.attributes['http.response.status_code'], 200)
      assert.equal(span.attributes['url.path'], '/users/7')
      assert.equal(span.attributes['error.type'], undefined)
      assert.notEqual(span.status?.code, STATUS_ERROR)
    })

    test('an unmatched route: a 404 with the unmatched label, no http.route and no error kept', async () => {
      const response = await fetch(`${app.url}/nowhere/42`, { headers: { 'x-request-id': 'c-404' } })
      assert.equal(response.status, 404)
      await response.arrayBuffer()
      const { line, span } = await observed('c-404')
      assert.equal(line.route, 'unmatched')
      assert.equal(line.err, undefined, 'a request no route matched is not an application error')
      assert.equal(span.attributes['http.route'], undefined)
      assert.equal(span.attributes['http.response.status_code'], 404)
      assert.equal(span.name, 'GET')
    })

    test('an odd method: PROPFIND is _OTHER with its original kept on the span; FOO is refused and counted', async () => {
      const reply = await rawRequest(
        app.url,
        'PROPFIND /users/1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: c-propfind\r\nConnection: close\r\n\r\n',
        KEEP_OPEN,
      )
      assert.match(reply, /^HTTP\/1\.1 \d{3}/)
      const { line, span } = await observed('c-propfind')
      assert.equal(line.method, '_OTHER')
      assert.equal(span.attributes['http.request.method'], '_OTHER')
      assert.equal(span.attributes['http.request.method_original'], 'PROPFIND')
      // Node's parser refuses a method it does not know before any listener runs.
      const refused = await rawRequest(
        app.url,
        'FOO /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        KEEP_OPEN,
      )
      assert.match(refused, /^HTTP\/1\.1 400 /)
      const samples = parseMetrics(await (await fetch(`${app.url}/metrics`)).text())
      const counted = findSamples(samples, 'sightline_http_server_refused_requests_total', {
        error_type: 'HPE_INVALID_METHOD',
      })
      // Deno's node:http answers a request its parser refused itself and emits no 'clientError',
      // so there is nothing to count there (docs/getting-started.md, Runtimes).
      if (IS_DENO) assert.equal(counted.length, 0)
      else assert.equal(counted[0]?.value, 1)
    })

    test('a thrown error: a 500 with no stack in the reply, the error kept on the line and the span', async () => {
      const response = await fetch(`${app.url}/boom`, { headers: { 'x-request-id': 'c-boom' } })
      assert.equal(response.status, 500)
      const body = await response.text()
      assert.doesNotMatch(body, /\bat .*:\d+:\d+/, 'no stack frame in the reply')
      const { line, span } = await observed('c-boom')
      assert.equal(line.level, 'error')
      assert.equal(span.status?.code, STATUS_ERROR)
      assert.equal(span.attributes['http.response.status_code'], 500)
      assert.equal(span.attributes['http.route'], '/boom')
      if (adapter === 'http') {
        // A bare node:http handler that answers 500 itself throws nothing Sightline could see.
        assert.equal(span.attributes['error.type'], '500')
      } else {
        const err = line.err as { type: string; message: string; stack?: string }
        assert.equal(err.type, 'Error')
        assert.equal(err.message, 'kaboom')
        assert.ok(err.stack?.includes('kaboom'), 'a 5xx line keeps the stack')
        assert.equal(span.attributes['error.type'], 'Error')
        const exception = span.events?.find((e) => e.name === 'exception')
        assert.ok(exception, 'an exception event')
      }
    })

    test('an aborted request: the client leaves mid-request, the line says so, the span is not a success', async () => {
      await new Promise<void>((resolve) => {
        const { port } = new URL(app.url)
        const req = request({ host: '127.0.0.1', port, path: '/slow?ms=300', headers: { 'x-request-id': 'c-abort' } })
        req.on('error', () => resolve())
        req.end()
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 80)
      })
      const { line, span } = await observed('c-abort')
      assert.equal(line.aborted, true)
      assert.equal(line.status, 499)
      assert.equal(span.attributes['http.response.status_code'], 499)
      assert.equal(span.attributes['error.type'], 'aborted')
      assert.equal(span.attributes['http.route'], '/slow')
    })

    test('a body that does not parse: a 400, and its text in no reply, log line or span', async () => {
      const response = await fetch(`${app.url}/api/things`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'c-body' },
        body: BAD_JSON,
      })
      assert.equal(response.status, 400)
      const body = await response.text()
      assert.equal(body.includes(SECRET), false, `the reply carries the body: ${body}`)
      const { line, span } = await observed('c-body')
      // Nest on Express parses every body before routing (its global body parsers), so the route
      // is not known yet when the body fails: the line is labelled unmatched there.
      assert.equal(line.route, adapter === 'nest-express' ? 'unmatched' : '/api/things')
      assert.equal(line.level, 'warn')
      if (adapter !== 'http') {
        // The error the framework (or the app's parse) made is kept, its message replaced where it
        // may quote the body (JSON.parse's); Fastify's own error (Nest on Fastify keeps the
        // HttpException Nest made of it) says what happened and quotes nothing.
        const err = line.err as { message: string; stack?: string } | undefined
        assert.ok(err, 'the error is on the line')
        if (adapter === 'fastify' || adapter === 'nest-fastify') assert.match(err.message, /^Body is not valid JSON/)
        else assert.equal(err.message, 'the request body could not be parsed')
        assert.equal(err.stack, undefined, 'no stack on a 4xx line')
      }
      assert.equal(span.attributes['http.response.status_code'], 400)
      assert.equal(JSON.stringify(span).includes(SECRET), false, 'the span carries the body')
      for (const raw of app.logs.raw) assert.equal(raw.includes(SECRET), false, `a line carries the body: ${raw}`)
    })

    test('ops endpoints answer on the app port, outside the application and its telemetry', async () => {
      for (const path of ['/healthz', '/readyz']) {
        const response = await fetch(`${app.url}${path}`, { headers: { 'x-request-id': `c-ops${path}` } })
        assert.equal(response.status, 200, path)
        await response.arrayBuffer()
      }
      const metrics = await fetch(`${app.url}/metrics`)
      assert.equal(metrics.status, 200)
      assert.match(await metrics.text(), /http_server_request_duration_seconds/)
      await tracing.forceFlush()
      assert.equal(
        receiver.spans.filter((s) => s.name.includes('healthz') || s.attributes['url.path'] === '/healthz').length,
        0,
      )
      assert.equal(
        app.logs.lines.filter((l) => l.msg === 'request completed' && String(l.path).endsWith('z')).length,
        0,
      )
    })
  })
}
