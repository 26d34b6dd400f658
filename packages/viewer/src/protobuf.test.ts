/**
 * The viewer's protobuf decoder against what OpenTelemetry's own serializers write, for every field
 * an SDK can put in a request: the fields the viewer reads are decoded, the others skipped without
 * losing the rest of the request.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { newNormaliseCounters } from './counters.js'
import { DEFAULT_LIMITS } from './limits.js'
import { normaliseMetrics, normaliseTraces } from './normalise.js'
import { decode, METRICS_REQUEST, TRACES_REQUEST } from './protobuf.js'

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('viewer protobuf decoder', () => {
  test('spans with a trace state, links, events and a status decode, and so does the span after them', () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'decoder' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    const tracer = provider.getTracer('decoder-test', '1.2.3')
    const remoteParent = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: new TraceState('vendor=a,other=b'),
      isRemote: true,
    })
    const linked = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }
    const server = tracer.startSpan(
      'GET /items/:id',
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.route': '/items/:id', 'http.response.status_code': 500, retries: -3, ratio: 0.25 },
        links: [{ context: linked, attributes: { 'link.reason': 'batch' } }],
      },
      remoteParent,
    )
    server.addEvent('cache miss', { key: 'items:7', tags: ['a', 'b'] })
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' })
    server.end()
    const after = tracer.startSpan('after', { kind: SpanKind.INTERNAL })
    after.end()

    const bytes = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())
    assert.ok(bytes)
    const spans = normaliseTraces(decode(Buffer.from(bytes), TRACES_REQUEST))
    assert.deepEqual(
      spans.map((span) => span.name),
      ['GET /items/:id', 'after'],
    )
    const [decoded] = spans
    assert.ok(decoded)
    assert.equal(decoded.service, 'decoder')
    assert.equal(decoded.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
    assert.equal(decoded.parentSpanId, '00f067aa0ba902b7')
    assert.equal(decoded.kind, 2)
    assert.equal(decoded.statusCode, 2)
    assert.deepEqual(decoded.attributes, {
      'http.route': '/items/:id',
      'http.response.status_code': 500,
      retries: -3,
      ratio: 0.25,
    })
    assert.deepEqual(decoded.events, [
      { ...decoded.events[0], name: 'cache miss', attributes: { key: 'items:7', tags: '["a","b"]' } },
    ])
  })

  test('every kind of metric decodes, with its description, buckets and negative values', async () => {
    const reader = new CollectingReader()
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'decoder' }),
      readers: [reader],
      views: [{ instrumentName: 'payload_bytes', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    })
    const meter = provider.getMeter('decoder-test')
    meter.createCounter('jobs_total', { description: 'Jobs done.', unit: '1' }).add(3, { queue: 'mail' })
    const latency = meter.createHistogram('latency_seconds', { description: 'Latency.', unit: 's' })
    latency.record(0.25, { route: '/a' })
    latency.record(0.75, { route: '/a' })
    meter.createUpDownCounter('in_flight', { description: 'In flight.' }).add(-4)
    meter.createGauge('temperature', { description: 'Temperature.' }).record(21.5, { room: 'b' })
    const payload = meter.createHistogram('payload_bytes', { description: 'Payload sizes.' })
    payload.record(100, { kind: 'json' })
    payload.record(300, { kind: 'json' })

    const { resourceMetrics, errors } = await reader.collect()
    assert.deepEqual(errors, [])
    const bytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics)
    assert.ok(bytes)
    const points = normaliseMetrics(decode(Buffer.from(bytes), METRICS_REQUEST))
    const byName = new Map(points.map((point) => [point.name, point]))
    assert.deepEqual([...byName.keys()].sort(), [
      'in_flight',
      'jobs_total',
      'latency_seconds',
      'payload_bytes',
      'temperature',
    ])
    assert.deepEqual(
      { ...byName.get('jobs_total'), timeMs: 0, startMs: 0 },
      {
        name: 'jobs_total',
        service: 'decoder',
        type: 'sum',
        unit: '1',
        timeMs: 0,
        value: 3,
        count: 1,
        attributes: { queue: 'mail' },
        startMs: 0,
        temporality: 2,
        monotonic: true,
      },
    )
    // Explicit buckets (packed repeated fields) are kept for percentiles: SDK default bounds, 0.25 and 0.75 in (0, 5].
    const histogram = byName.get('latency_seconds')!
    assert.equal(histogram.temporality, 2)
    assert.deepEqual(histogram.bounds, [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000])
    assert.equal(histogram.bucketCounts?.length, 16)
    assert.equal(histogram.bucketCounts?.[1], 2)
    assert.equal(byName.get('in_flight')?.monotonic, false)
    assert.deepEqual(
      [byName.get('latency_seconds')?.type, byName.get('latency_seconds')?.value, byName.get('latency_seconds')?.count],
      ['histogram', 1, 2],
    )
    assert.deepEqual(byName.get('latency_seconds')?.attributes, { route: '/a' })
    assert.equal(byName.get('in_flight')?.value, -4)
    assert.deepEqual(
      [byName.get('temperature')?.type, byName.get('temperature')?.value, byName.get('temperature')?.attributes],
      ['gauge', 21.5, { room: 'b' }],
    )
    const exponential = byName.get('payload_bytes')
    assert.deepEqual(
      [exponential?.type, exponential?.value, exponential?.count, exponential?.attributes],
      ['exponentialHistogram', 400, 2, { kind: 'json' }],
    )
    assert.ok((byName.get('jobs_total')?.timeMs ?? 0) > Date.now() - 60_000)
  })

  test('a span that does not decode is refused alone; the spans around it are kept', () => {
    const length = (n: number): number[] => (n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7])
    const field = (number: number, bytes: number[]): number[] => [(number << 3) | 2, ...length(bytes.length), ...bytes]
    const fixed64 = (number: number, value: bigint): number[] => {
      const out = Buffer.alloc(8)
      out.writeBigUInt64LE(value)
      return [(number << 3) | 1, ...out]
    }
    const now = BigInt(Date.now()) * 1_000_000n
    const span = (id: number, extra: number[] = []): number[] =>
      field(2, [
        ...field(
          1,
          Array.from({ length: 16 }, () => id),
        ),
        ...field(
          2,
          Array.from({ length: 8 }, () => id),
        ),
        ...fixed64(7, now),
        ...fixed64(8, now),
        ...extra,
      ])
    // The status of span 2 holds a tag and no value: a truncated message inside valid framing.
    const scope = field(2, [...span(1), ...span(2, field(15, [0x18])), ...span(3)])
    const counters = newNormaliseCounters()
    const spans = normaliseTraces(decode(Buffer.from(field(1, scope)), TRACES_REQUEST), {
      limits: DEFAULT_LIMITS,
      counters,
    })
    assert.deepEqual(
      spans.map((s) => s.spanId),
      ['01'.repeat(8), '03'.repeat(8)],
    )
    assert.equal(counters.spansRejected, 1)
  })
})
