/**
 * @module test/faults/hostile-requests
 * Hostile requests against every adapter (node:http, Fastify, Express), sent raw over a socket
 * (most of them fetch would refuse to send): each gets an HTTP answer, the server keeps serving,
 * every log line stays one valid JSON object, an unsafe request id or trace header is never echoed
 * or logged, and the route label stays bounded whatever the paths.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ADAPTERS, rawRequest, startApp } from '../conformance/apps.js'
import { parseMetrics } from '../helpers/metrics.js'

const MARK = 'HOSTILE7'
const long = (n: number) => 'a'.repeat(n)

/** Request heads: each ends with `Connection: close` so the server closes once it answered. */
const CASES: Record<string, string> = {
  'truncated percent-escape in the path': 'GET /users/%E0%A4%A HTTP/1.1',
  'lone percent sign': 'GET /% HTTP/1.1',
  'invalid escape': 'GET /users/%zz HTTP/1.1',
  'overlong UTF-8 escape': 'GET /users/%C0%80 HTTP/1.1',
  'escaped NUL': 'GET /users/%00 HTTP/1.1',
  'malformed escape in the query': 'GET /users/1?q=%E0%A4%A HTTP/1.1',
  'an 8 KB path segment': `GET /users/${long(8000)} HTTP/1.1`,
  'slashes only': 'GET //// HTTP/1.1',
  'absolute-form target': 'GET http://evil.example/users/1 HTTP/1.1',
  'asterisk-form target': 'OPTIONS * HTTP/1.1',
  'an unknown method': 'PROPFIND /users/1 HTTP/1.1',
  'a dot-dot path': 'GET /users/../../etc/passwd HTTP/1.1',
  'HTML in the request id': `GET /users/1 HTTP/1.1\r\nX-Request-Id: <script>${MARK}</script>`,
  'a 4 KB request id': `GET /users/1 HTTP/1.1\r\nX-Request-Id: ${MARK}${long(4000)}`,
  'two request ids': `GET /users/1 HTTP/1.1\r\nX-Request-Id: a${MARK}\r\nX-Request-Id: b${MARK}`,
  'a garbage traceparent': `GET /users/1 HTTP/1.1\r\ntraceparent: 00-${MARK}-zz-01`,
  'a traceparent of the wrong length': `GET /users/1 HTTP/1.1\r\ntraceparent: 00-${'a'.repeat(31)}-${'b'.repeat(16)}-01`,
  'a 32-member-plus tracestate': `GET /users/1 HTTP/1.1\r\ntracestate: ${Array.from({ length: 40 }, (_, i) => `k${i}=${MARK}`).join(',')}`,
  'control characters in a header': `GET /users/1 HTTP/1.1\r\nUser-Agent: a\u0001b${MARK}`,
  'a body on a GET': 'GET /users/1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello',
  'two content-lengths': 'POST /users/1 HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6',
  'content-length and chunked': 'POST /users/1 HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked',
  'a bad chunk size': 'POST /users/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  'HTTP/0.9-style line': 'GET /users/1',
  'HTTP/1.0 without Host': 'GET /users/1 HTTP/1.0',
}

function head(request: string): string {
  // A request carrying its own body (or bad framing) is sent as it is; the rest get their end.
  if (request.includes('\r\n\r\n')) return request
  return `${request}\r\nHost: test\r\nConnection: close\r\n\r\n`
}

describe('hostile requests', () => {
  for (const adapter of ADAPTERS) {
    test(`${adapter}: ${Object.keys(CASES).length} hostile requests, each answered; nothing echoed or leaked`, async () => {
      const app = await startApp(adapter)
      try {
        const answers: Record<string, string> = {}
        for (const [name, request] of Object.entries(CASES)) {
          const reply = await Promise.race([
            rawRequest(app.url, head(request)),
            new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`${name}: no answer in 5 s`)), 5000)),
          ])
          const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1]
          assert.ok(status !== undefined || reply === '', `${name}: ${JSON.stringify(reply.slice(0, 200))}`)
          answers[name] = status ?? 'closed'
          // Still serving.
          assert.equal((await fetch(`${app.url}/users/1`)).status, 200, name)
          // Never echoed back: not in a reply's headers (the request-id header is generated anew).
          const headers = reply.split('\r\n\r\n')[0] ?? ''
          assert.ok(!headers.includes(MARK), `${name}: echoed in ${headers}`)
        }
        // Nothing answered 5xx: a hostile request is the client's error.
        const serverErrors = Object.entries(answers).filter(([, status]) => status.startsWith('5'))
        assert.deepEqual(serverErrors, [], JSON.stringify(answers))
        await new Promise((resolve) => setTimeout(resolve, 150))
        // Every line is one JSON object (LogCapture.lines throws otherwise), and none carries the
        // unsafe id or header values.
        const lines = app.logs.lines
        assert.ok(lines.length > Object.keys(CASES).length, `${lines.length} lines`)
        for (const line of lines) assert.ok(!JSON.stringify(line).includes(MARK), JSON.stringify(line).slice(0, 300))
        // The route label: the templates and `unmatched`, whatever the paths were.
        const routes = new Set(
          parseMetrics(await app.sightline.metrics.render(false))
            .filter((s) => s.name === 'http_server_request_duration_seconds_count')
            .map((s) => s.labels.http_route),
        )
        for (const route of routes) assert.ok(['/users/:id', 'unmatched'].includes(String(route)), String(route))
      } finally {
        await app.close()
      }
    })
  }
})
