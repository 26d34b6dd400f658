/**
 * The request pipeline, asserted on what a user sees (headers, parsed log lines, parsed /metrics),
 * over real sockets, identically for node:http, Fastify and Express.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { requestId } from 'sightline'
import { findSamples, parseMetrics, sampleValue } from '../helpers/metrics.js'
import { ADAPTERS, rawRequest, startApp, type TestApp } from './apps.js'

const DURATION = 'http_server_request_duration_seconds'
/** The request asks to close; the client keeps its side open until then (Deno ends a half-closed connection unanswered). */
const KEEP_OPEN = { halfClose: false }

for (const adapter of ADAPTERS) {
  describe(`pipeline on ${adapter}`, () => {
    let app: TestApp
    before(async () => {
      app = await startApp(adapter)
    })
    after(() => app.close())

    const scrape = async (accept?: string) => {
      const response = await fetch(`${app.url}/metrics`, accept === undefined ? {} : { headers: { accept } })
      assert.equal(response.status, 200)
      return { text: await response.text(), type: response.headers.get('content-type') }
    }

    test('a safe incoming X-Request-ID is reused, echoed, and on every line of the request', async () => {
      const response = await fetch(`${app.url}/users/42?email=someone@example.com`, {
        headers: { 'x-request-id': 'client-id-1' },
      })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('x-request-id'), 'client-id-1')
      const inside = await app.logs.waitFor((l) => l.msg === 'inside handler' && l.request_id === 'client-id-1')
      assert.equal(inside.user, '42')
      const access = await app.logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'client-id-1')
      assert.equal(access.level, 'info')
      assert.equal(access.method, 'GET')
      assert.equal(access.route, '/users/:id')
      assert.equal(access.status, 200)
      assert.equal(access.path, '/users/42', 'query strings stay out of logs')
      assert.equal(typeof access.duration_ms, 'number')
      assert.equal(access.service, `test-${adapter}`)
      assert.doesNotMatch(app.logs.raw.join('\n'), /someone@example\.com/)
    })

    test('the access line carries the response size a framework declared', async () => {
      const response = await fetch(`${app.url}/users/77`, { headers: { 'x-request-id': 'sized-1' } })
      const body = await response.text()
      const access = await app.logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'sized-1')
      // Fastify passes content-length to writeHead in an object, Express and Koa set it with
      // setHeader; the plain node:http app leaves it to Node, and so does @hono/node-server (it sets
      // the response's internal length for Node to write): the line has no size then.
      if (adapter === 'http' || adapter === 'hono') assert.equal(access.res_bytes, undefined)
      else assert.equal(access.res_bytes, Buffer.byteLength(body))
    })

    test('unsafe or over-long ids are replaced by generated, distinct ones', async () => {
      const ids = new Set<string>()
      for (const hostile of ['<script>alert(1)</script>', 'x'.repeat(129), 'a b', '"quoted"', '']) {
        const response = await fetch(`${app.url}/users/1`, { headers: { 'x-request-id': hostile } })
        await response.arrayBuffer()
        const id = response.headers.get('x-request-id') ?? ''
        assert.notEqual(id, hostile)
        assert.match(id, /^[A-Za-z0-9\-_.:+=/@]{1,128}$/)
        ids.add(id)
      }
      assert.equal(ids.size, 5)
    })

    test("a request's context ends with it: pipelined requests on one connection never see another's", async () => {
      // A listener ahead of Sightline's runs in whatever context the connection carries at that point.
      const before: (string | undefined)[] = []
      const record = () => before.push(requestId())
      app.server.prependListener('request', record)
      try {
        const head = (id: string, last: boolean) =>
          `GET /users/piped${id} HTTP/1.1\r\nHost: x\r\nX-Request-ID: piped-${id}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`
        const reply = await rawRequest(app.url, head('1', false) + head('2', false) + head('3', true), {
          halfClose: false,
        })
        assert.equal(reply.match(/HTTP\/1\.1 200 /g)?.length, 3)
      } finally {
        app.server.off('request', record)
      }
      assert.deepEqual(before, [undefined, undefined, undefined])
      for (const id of ['1', '2', '3']) {
        const inside = await app.logs.waitFor((l) => l.msg === 'inside handler' && l.user === `piped${id}`)
        assert.equal(inside.request_id, `piped-${id}`)
      }
    })

    test('metrics are labelled by route template, never by raw path', async () => {
      for (const id of ['1', '2', '3']) await (await fetch(`${app.url}/users/${id}`)).arrayBuffer()
      const samples = parseMetrics((await scrape()).text)
      const series = findSamples(samples, `${DURATION}_count`, { http_route: '/users/:id', http_request_method: 'GET' })
      assert.equal(series.length, 1)
      assert.ok((series[0]?.value ?? 0) >= 3)
      assert.equal(
        findSamples(samples, `${DURATION}_count`).filter((s) => s.labels.http_route?.includes('/users/1')).length,
        0,
      )
    })

    test('a thousand distinct unmatched URLs share one series', async () => {
      for (let i = 0; i < 1000; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            fetch(`${app.url}/scan/${i + j}/wp-admin.php`).then((r) => r.arrayBuffer()),
          ),
        )
      }
      const samples = parseMetrics((await scrape()).text)
      const unmatched = findSamples(samples, `${DURATION}_count`, {
        http_route: 'unmatched',
        http_response_status_code: '404',
      })
      assert.equal(unmatched.length, 1)
      assert.equal(unmatched[0]?.value, 1000)
      assert.ok(findSamples(samples, `${DURATION}_count`).length < 20)
      const line = await app.logs.waitFor((l) => l.msg === 'request completed' && l.status === 404)
      assert.equal(line.level, 'warn')
      assert.equal(line.route, 'unmatched')
    })

    test('a method outside the standard set is recorded as _OTHER', async () => {
      // PROPFIND passes Node's parser (a WebDAV method) but is not in the OpenTelemetry list.
      const reply = await rawRequest(
        app.url,
        'PROPFIND /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        KEEP_OPEN,
      )
      assert.match(reply, /^HTTP\/1\.1 \d{3}/)
      const samples = parseMetrics((await scrape()).text)
      assert.equal(findSamples(samples, `${DURATION}_count`, { http_request_method: '_OTHER' }).length, 1)
      assert.equal(findSamples(samples, `${DURATION}_count`, { http_request_method: 'PROPFIND' }).length, 0)
      const line = await app.logs.waitFor((l) => l.msg === 'request completed' && l.method === '_OTHER')
      assert.equal(line.path, '/users/1')
    })

    test('quotes, backslashes and control characters in the path never break a log line', async () => {
      const reply = await rawRequest(
        app.url,
        `GET /users/a"b\\c%0d%0a{"injected":1} HTTP/1.1\r\nHost: x\r\nX-Request-ID: raw-1\r\nConnection: close\r\n\r\n`,
        KEEP_OPEN,
      )
      assert.match(reply, /^HTTP\/1\.1 \d{3}/)
      const line = await app.logs.waitFor((l) => l.request_id === 'raw-1' && l.msg === 'request completed')
      assert.equal(line.injected, undefined)
      assert.ok(String(line.path).includes('"'))
      for (const raw of app.logs.raw) JSON.parse(raw)
    })

    test('a failing handler is a 500 logged at error level with the error', async () => {
      const response = await fetch(`${app.url}/boom`, { headers: { 'x-request-id': 'boom-1' } })
      assert.equal(response.status, 500)
      const line = await app.logs.waitFor((l) => l.request_id === 'boom-1' && l.msg === 'request completed')
      assert.equal(line.level, 'error')
      if (adapter !== 'http') assert.equal((line.err as { message: string }).message, 'kaboom')
      const samples = parseMetrics((await scrape()).text)
      assert.equal(
        sampleValue(samples, `${DURATION}_count`, { http_route: '/boom', http_response_status_code: '500' }),
        1,
      )
    })

    test('the in-flight gauge counts requests being served', async () => {
      const slow = fetch(`${app.url}/slow?ms=300`)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const during = sampleValue(parseMetrics((await scrape()).text), 'http_server_active_requests')
      await (await slow).arrayBuffer()
      await new Promise((resolve) => setTimeout(resolve, 20))
      const afterwards = sampleValue(parseMetrics((await scrape()).text), 'http_server_active_requests')
      assert.equal(during, 1)
      assert.equal(afterwards, 0)
    })

    test('/metrics negotiates OpenMetrics and serves runtime metrics', async () => {
      const plain = await scrape()
      assert.equal(plain.type, 'text/plain; version=0.0.4; charset=utf-8')
      const samples = parseMetrics(plain.text)
      for (const name of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'process_start_time_seconds',
        'nodejs_eventloop_delay_p99_seconds',
        'nodejs_eventloop_utilization_ratio',
      ]) {
        assert.equal(findSamples(samples, name).length, 1, name)
      }
      assert.ok(findSamples(samples, 'v8js_memory_heap_used_bytes').length > 3)
      const open = await scrape('application/openmetrics-text; version=1.0.0')
      assert.match(open.type ?? '', /^application\/openmetrics-text/)
      assert.ok(open.text.endsWith('# EOF\n'))
    })

    test('ops endpoints are not counted as application traffic', async () => {
      await (await fetch(`${app.url}/healthz`)).arrayBuffer()
      const samples = parseMetrics((await scrape()).text)
      assert.equal(findSamples(samples, `${DURATION}_count`, { http_route: '/healthz' }).length, 0)
      assert.equal(findSamples(samples, `${DURATION}_count`, { http_route: '/metrics' }).length, 0)
    })
  })
}

for (const adapter of ADAPTERS) {
  test(`${adapter}: past the series cap, observations go to the overflow series and are counted, and every request keeps its access line`, async (t) => {
    // A cap of 1: the first route, method and status takes the duration histogram's only series,
    // every other combination goes to its overflow series, and so do other metrics' second series.
    const app = await startApp(adapter, { maxSeriesPerMetric: 1 })
    t.after(() => app.close())
    const paths = ['/users/1', '/boom', '/nowhere', '/slow?ms=1', '/users/2', '/missing/too']
    for (const [i, path] of paths.entries()) {
      const response = await fetch(`${app.url}${path}`, { headers: { 'x-request-id': `capped-${i}` } })
      await response.arrayBuffer()
    }
    for (const i of paths.keys()) {
      await app.logs.waitFor((l) => l.msg === 'request completed' && l.request_id === `capped-${i}`)
    }
    const samples = parseMetrics(await (await fetch(`${app.url}/metrics`)).text())
    const counts = findSamples(samples, `${DURATION}_count`)
    assert.equal(counts.length, 2, 'the one series and the overflow series')
    // Every request is counted: the totals stay right past the cap.
    assert.equal(
      counts.reduce((sum, s) => sum + s.value, 0),
      paths.length,
    )
    assert.ok((sampleValue(samples, `${DURATION}_count`, { otel_metric_overflow: 'true' }) ?? 0) >= 2)
    assert.ok((sampleValue(samples, 'sightline_metric_series_dropped_total', { metric: DURATION }) ?? 0) >= 2)
    assert.deepEqual(
      app.logs.lines.filter((l) => l.msg === 'sightline internal error'),
      [],
    )
  })
}
