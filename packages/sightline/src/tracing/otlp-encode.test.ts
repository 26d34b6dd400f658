import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Attributes, type HrTime, type Link, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { RESOURCE, span, TRACE_ID } from '../../test/span-fixture.js'
import { encodeSpans } from './otlp-encode.js'

function assertSameBytes(spans: ReadableSpan[]): Uint8Array {
  const ours = encodeSpans(spans)
  const theirs = ProtobufTraceSerializer.serializeRequest(spans)
  assert.ok(theirs !== undefined)
  assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(theirs).toString('hex'))
  return ours
}

describe('encodeSpans writes the bytes otlp-transformer writes', () => {
  test('a server span with the attributes Sightline sets', () => {
    // Byte-equal to the SDK's serializer (the viewer decodes what Sightline sends in
    // test/viewer/end-to-end.test.ts). Here: the trace id and the name are in the bytes.
    const bytes = Buffer.from(assertSameBytes([span()]))
    assert.ok(bytes.includes(Buffer.from(TRACE_ID, 'hex')))
    assert.ok(bytes.includes(Buffer.from('GET /api/patients/:id')))
  })

  test('every kind of attribute value', () => {
    const attributes = {
      empty: '',
      ascii: 'plain',
      accents: 'Zoë Ünal — ½',
      emoji: 'ok 🚑',
      loneSurrogate: 'broken \ud800 pair',
      long: 'x'.repeat(300),
      longUnicode: 'é'.repeat(20000),
      zero: 0,
      negativeZero: -0,
      small: 7,
      negative: -42,
      big: 2 ** 40 + 3,
      huge: 2 ** 60,
      minInt64: -(2 ** 63),
      tooBig: 2 ** 64,
      double: 2.5e-7,
      nan: Number.NaN,
      infinity: Number.POSITIVE_INFINITY,
      yes: true,
      no: false,
      strings: ['a', 'é', ''],
      numbers: [1, -1, 2.5],
      booleans: [true, false],
      withNull: ['a', null, 'b'],
      emptyArray: [],
      bytes: new Uint8Array([0, 1, 255]),
      nested: { a: 1, b: ['x'], c: { d: true } },
      missing: undefined,
      nothing: null,
    } as unknown as Attributes
    assertSameBytes([span({ attributes })])
  })

  test('parents, trace state, kinds, status, events, links and dropped counts', () => {
    const time: HrTime = [4294967296 + 17, 999999999]
    const links: Link[] = [
      {
        context: {
          traceId: 'AABBCCDDEEFF00112233445566778899',
          spanId: '0123456789abcdef',
          traceFlags: TraceFlags.NONE,
          isRemote: true,
          traceState: new TraceState('vendor=one,other=two'),
        },
        attributes: { 'link.reason': 'retry', n: 2 },
        droppedAttributesCount: 1,
      },
      { context: { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED } },
      // Not hex: Node's decoder would stop at the first bad pair; the bytes must still match.
      { context: { traceId: '0123456789abcdefzz23456789abcdef', spanId: '0g23456789abcdef', traceFlags: 0 } },
    ]
    const spans = [
      span({
        kind: SpanKind.CLIENT,
        spanContext: () => ({
          traceId: TRACE_ID,
          spanId: '1111111111111111',
          traceFlags: TraceFlags.SAMPLED,
          traceState: new TraceState('congo=t61rcWkgMzE'),
        }),
        parentSpanContext: { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
        status: { code: SpanStatusCode.ERROR, message: 'payment gateway timed out' },
        events: [
          { name: 'exception', time, attributes: { 'exception.type': 'TimeoutError' }, droppedAttributesCount: 2 },
          { name: 'retry', time: [0, 0] },
        ],
        links,
        startTime: time,
        endTime: [time[0] + 1, 5],
        droppedAttributesCount: 3,
        droppedEventsCount: 128,
        droppedLinksCount: 300,
      }),
      span({
        kind: SpanKind.INTERNAL,
        parentSpanContext: { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: 1 },
      }),
      span({ kind: SpanKind.PRODUCER, status: { code: SpanStatusCode.OK } }),
      span({ kind: SpanKind.CONSUMER, attributes: {} }),
    ]
    assertSameBytes(spans)
  })

  test('spans grouped by resource and scope, in order of first appearance', () => {
    const other = resourceFromAttributes({ 'service.name': 'payments' })
    const versioned = { name: 'sightline-pg', version: '1.2.3', schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }
    const spans = [
      span(),
      span({ resource: other, spanId: '2222222222222222' }),
      span({ instrumentationScope: versioned, spanId: '3333333333333333' }),
      span({ resource: other, instrumentationScope: versioned, spanId: '4444444444444444' }),
      span({ spanId: '5555555555555555' }),
    ]
    assertSameBytes(spans)
  })

  test('lengths that need two- and three-byte varints, and a scratch buffer that must grow', () => {
    const wide = { note: 'n'.repeat(200) }
    const many = Array.from({ length: 3000 }, (_, i) =>
      span({ spanId: i.toString(16).padStart(16, '0'), attributes: { ...wide, i } }),
    )
    const bytes = assertSameBytes(many)
    assert.ok(bytes.length > 512 * 1024, `a batch of ${bytes.length} bytes`)
    // The next, small encoding reuses the grown buffer and returns only its own bytes.
    assertSameBytes([span()])
  })

  test('attribute values that change, repeat and change type from span to span', () => {
    const values: unknown[] = [
      'GET',
      'GET',
      'POST',
      200,
      200,
      'x'.repeat(200),
      'GET',
      true,
      ['a'],
      'GET',
      -0,
      0,
      2 ** 40,
    ]
    const spans = values.map((value, i) =>
      span({
        spanId: (i + 1).toString(16).padStart(16, '0'),
        // The same key in a different position, and a key of its own, on every span.
        attributes: (i % 2 === 0
          ? { shifting: value, 'url.path': `/api/patients/${i}`, method: 'GET' }
          : { method: 'GET', [`only.${i}`]: i, shifting: value }) as Attributes,
      }),
    )
    assertSameBytes(spans)
    assertSameBytes(spans.slice().reverse())
  })

  test('spans from the SDK itself', async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      resource: RESOURCE,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    const tracer = provider.getTracer('app', '2.0.0')
    const parent = tracer.startSpan('checkout', { kind: SpanKind.SERVER, attributes: { 'user.tier': 'gold' } })
    parent.addEvent('cart loaded', { items: 3 })
    parent.recordException(new TypeError('bad card'))
    parent.setStatus({ code: SpanStatusCode.ERROR })
    parent.end()
    await provider.forceFlush()
    assertSameBytes(exporter.getFinishedSpans())
  })
})
