/**
 * @module test/viewer/receiver
 * The OTLP receiver, fed by the real OpenTelemetry JS exporters (protobuf and JSON, plain and
 * gzipped), asserted through the JSON API a user or script would read.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { context, SpanKind, TraceFlags, trace } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { Viewer } from '@sightline/viewer'
import { getJson, loggerFor, simulateRequest, tracerFor } from './helpers.js'

interface TraceDetail {
  traceId: string
  services: string[]
  spans: {
    name: string
    service: string
    kind: number
    parentSpanId: string
    attributes: Record<string, unknown>
    events: { name: string; attributes: Record<string, unknown> }[]
    statusCode: number
  }[]
  logs: { body: string; level: string; spanId: string; traceId: string; requestId: string }[]
}

describe('viewer: OTLP receiver with the real exporters', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  before(async () => {
    base = await viewer.listen()
  })
  after(() => viewer.close())

  for (const encoding of ['proto', 'json'] as const) {
    for (const gzip of [false, true]) {
      it(`receives spans over OTLP/HTTP ${encoding}${gzip ? ' gzipped' : ''}`, async () => {
        const service = `svc-${encoding}-${gzip ? 'gz' : 'plain'}`
        const setup = tracerFor(base, service, encoding, { gzip })
        const requestId = `req-${encoding}-${gzip}`
        const traceId = simulateRequest(setup, { route: '/api/items/:id', status: 503, requestId })
        await setup.provider.forceFlush()
        await setup.provider.shutdown()

        const list = await getJson<{
          traces: { traceId: string; route: string; httpStatus: number; error: boolean; spanCount: number }[]
        }>(`${base}/api/traces?service=${service}`)
        assert.equal(list.traces.length, 1)
        assert.deepEqual(
          { ...list.traces[0], traceId: list.traces[0]!.traceId },
          { ...list.traces[0], traceId, route: '/api/items/:id', httpStatus: 503, error: true, spanCount: 2 },
        )
        const detail = await getJson<TraceDetail>(`${base}/api/traces/${traceId}`)
        const server = detail.spans.find((span) => span.kind === 2)!
        const child = detail.spans.find((span) => span.name === 'db.query')!
        assert.equal(server.service, service)
        assert.equal(server.attributes['http.response.status_code'], 503)
        assert.equal(server.attributes.request_id, requestId)
        assert.equal(child.parentSpanId.length, 16)
        assert.equal(child.statusCode, 2)
        assert.deepEqual(
          child.events.map((event) => event.name),
          ['rows fetched', 'exception'],
        )
        assert.equal(child.events[0]!.attributes['db.rows'], 3)
        assert.equal(child.events[1]!.attributes['exception.message'], 'connection reset')
        // Search by request id finds the same trace.
        const byRequest = await getJson<{ traces: { traceId: string }[] }>(`${base}/api/traces?q=${requestId}`)
        assert.deepEqual(
          byRequest.traces.map((t) => t.traceId),
          [traceId],
        )
      })
    }
  }

  it('receives protobuf spans with a trace state and links, and metrics with descriptions and histograms', async () => {
    // Fields the viewer does not show (trace state, links, descriptions, buckets) are skipped, and
    // the rest of the request is kept: the span after them and every metric.
    const setup = tracerFor(base, 'proto-extras', 'proto')
    const parent = trace.setSpanContext(context.active(), {
      traceId: '5bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '10f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: new TraceState('vendor=a'),
      isRemote: true,
    })
    const linked = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: TraceFlags.SAMPLED }
    const span = setup.tracer.startSpan('GET /extras', { kind: SpanKind.SERVER, links: [{ context: linked }] }, parent)
    span.end()
    await setup.provider.shutdown()
    const detail = await getJson<TraceDetail>(`${base}/api/traces/5bf92f3577b34da6a3ce929d0e0e4736`)
    assert.deepEqual(
      detail.spans.map((s) => s.name),
      ['GET /extras'],
    )

    const metrics = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'metrics-proto' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
          exportIntervalMillis: 60_000,
        }),
      ],
    })
    const meter = metrics.getMeter('viewer-test')
    meter.createCounter('orders_total', { description: 'Orders placed.' }).add(2, { shop: 'north' })
    meter.createHistogram('order_seconds', { description: 'Time to place an order.', unit: 's' }).record(0.5)
    // Shutting down exports once (a flush before it would send the cumulative points twice).
    await metrics.shutdown()
    const points = await getJson<{ points: { name: string; type: string; value: number; count: number }[] }>(
      `${base}/api/metrics?service=metrics-proto`,
    )
    assert.deepEqual(
      points.points
        .map(({ name, type, value, count }) => ({ name, type, value, count }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: 'order_seconds', type: 'histogram', value: 0.5, count: 1 },
        { name: 'orders_total', type: 'sum', value: 2, count: 1 },
      ],
    )
  })

  it('keeps log records with their trace and span ids and shows them with the trace', async () => {
    const setup = tracerFor(base, 'with-logs', 'proto')
    const logs = loggerFor(base, 'with-logs')
    const traceId = simulateRequest(setup, { route: '/logged', status: 200, requestId: 'req-logged' }, logs.logger)
    await Promise.all([setup.provider.forceFlush(), logs.provider.forceFlush()])
    await Promise.all([setup.provider.shutdown(), logs.provider.shutdown()])

    const detail = await getJson<TraceDetail>(`${base}/api/traces/${traceId}`)
    const child = detail.spans.find((span) => span.name === 'db.query') as unknown as { spanId: string }
    assert.equal(detail.logs.length, 1)
    assert.deepEqual(
      {
        body: detail.logs[0]!.body,
        level: detail.logs[0]!.level,
        traceId: detail.logs[0]!.traceId,
        spanId: detail.logs[0]!.spanId,
      },
      { body: 'handled /logged', level: 'info', traceId, spanId: child.spanId },
    )
    const found = await getJson<{ logs: { body: string }[] }>(`${base}/api/logs?requestId=req-logged`)
    assert.deepEqual(
      found.logs.map((log) => log.body),
      ['handled /logged'],
    )
    const byText = await getJson<{ logs: { requestId: string }[] }>(`${base}/api/logs?service=with-logs&text=HANDLED`)
    assert.equal(byText.logs[0]?.requestId, 'req-logged')
  })

  it('finds a trace by a request id that only its log lines carry (as Sightline writes them)', async () => {
    const setup = tracerFor(base, 'ids-in-logs', 'json')
    const logs = loggerFor(base, 'ids-in-logs')
    const span = setup.tracer.startSpan('GET /only-logs', { kind: SpanKind.SERVER })
    logs.logger.emit({
      body: 'request handled',
      attributes: { request_id: 'req-from-log' },
      context: trace.setSpan(context.active(), span),
    })
    span.end()
    await Promise.all([setup.provider.shutdown(), logs.provider.shutdown()])
    const found = await getJson<{ traces: { traceId: string; requestId: string }[] }>(
      `${base}/api/traces?q=req-from-log`,
    )
    assert.deepEqual(found.traces, [
      { ...found.traces[0], traceId: span.spanContext().traceId, requestId: 'req-from-log' },
    ])
  })

  it('computes golden signals per service and route from server spans', async () => {
    const setup = tracerFor(base, 'golden', 'json')
    for (let i = 0; i < 8; i++) simulateRequest(setup, { route: '/ok', status: 200, requestId: `g-${i}` })
    for (let i = 0; i < 2; i++) simulateRequest(setup, { route: '/ok', status: 500, requestId: `g-err-${i}` })
    await setup.provider.forceFlush()
    await setup.provider.shutdown()
    const data = await getJson<{
      services: {
        service: string
        routes: { route: string; count: number; errorRatio: number; p99: number; series: { rate: number[] } }[]
      }[]
    }>(`${base}/api/services`)
    const golden = data.services.find((s) => s.service === 'golden')!
    assert.equal(golden.routes.length, 1)
    assert.equal(golden.routes[0]!.route, '/ok')
    assert.equal(golden.routes[0]!.count, 10)
    assert.equal(golden.routes[0]!.errorRatio, 0.2)
    assert.equal(golden.routes[0]!.series.rate.length, 90)
    assert.ok(golden.routes[0]!.p99 >= 0)
  })

  it('accepts a hand-written gzipped OTLP/JSON log body, and rejects what is not OTLP', async () => {
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'curl' } }] },
          scopeLogs: [
            {
              logRecords: [
                { timeUnixNano: '1700000000123456789', severityNumber: 13, body: { stringValue: 'slow disk' } },
              ],
            },
          ],
        },
      ],
    }
    const ok = await fetch(`${base}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body)),
    })
    assert.equal(ok.status, 200)
    const logs = await getJson<{ logs: { body: string; level: string; timeMs: number }[] }>(
      `${base}/api/logs?service=curl`,
    )
    assert.deepEqual(logs.logs[0], { ...logs.logs[0], body: 'slow disk', level: 'warn', timeMs: 1700000000123.4568 })

    const badType = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    })
    assert.equal(badType.status, 415)
    const badProto = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0xff, 0xff, 0x01]),
    })
    assert.equal(badProto.status, 400)
    const badGzip = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip',
    })
    assert.equal(badGzip.status, 400)
  })

  it('answers pages with a strict CSP and no-sniff', async () => {
    const page = await fetch(`${base}/traces`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
    assert.doesNotMatch(await page.text(), /<script>|style=/)
    const app = await fetch(`${base}/assets/app.js`)
    assert.equal(app.status, 200)
    assert.match(app.headers.get('content-type') ?? '', /javascript/)
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404)
  })
})
