import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ROOT_CONTEXT, type SpanContext, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import { hrTimeToMilliseconds, W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { RequestContext } from '../core/pipeline/context.js'
import { methodIndex, RouteState } from '../core/pipeline/routes.js'
import { SightlineContextManager } from './context-manager.js'
import { HandoverIdGenerator } from './ids.js'
import { registerGlobalInstance, TracingInstance } from './instance.js'
import { LightSpan, sinkOfSdkTracer } from './light-span.js'
import { scopeOf, startClientSpan } from './recording.js'
import { HandoverSampler } from './sdk.js'
import { ServerSpans } from './server-spans.js'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const context: SpanContext = { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED }

/**
 * The pipeline's server spans, every request sampled, exported to memory. `hideInternals` gives
 * them a tracer without the SDK fields light spans read, so they fall back to `startSpan`.
 */
function serverSpans(hideInternals: boolean) {
  const exporter = new InMemorySpanExporter()
  const sampler = new HandoverSampler(new AlwaysOnSampler())
  const ids = new HandoverIdGenerator()
  const provider = new BasicTracerProvider({
    sampler,
    idGenerator: ids,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const sdkTracer = provider.getTracer('sightline')
  const tracer = hideInternals ? { startSpan: sdkTracer.startSpan.bind(sdkTracer) } : sdkTracer
  const propagator = new W3CTraceContextPropagator()
  const instance = new TracingInstance(provider, new SightlineContextManager(), propagator, undefined)
  return { exporter, hooks: new ServerSpans(tracer as never, sampler, ids, propagator, 1, instance) }
}

function setup(limits: Record<string, number> = {}) {
  const exporter = new InMemorySpanExporter()
  const calls: string[] = []
  const watcher: SpanProcessor = {
    onStart: (span: Span) => calls.push(`start ${span.name}`),
    onEnding: (span: Span) => calls.push(`ending ${span.name} recording=${span.isRecording()}`),
    onEnd: (span: ReadableSpan) => calls.push(`end ${span.name} ended=${span.ended}`),
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const provider = new BasicTracerProvider({
    spanProcessors: [watcher, new SimpleSpanProcessor(exporter)],
    spanLimits: limits,
  })
  const shared = sinkOfSdkTracer(provider.getTracer('sightline'))
  assert.ok(shared, 'the SDK tracer still has the fields server spans rely on')
  return { exporter, calls, shared, provider }
}

describe('LightSpan', () => {
  test('goes through the SDK processors and exports like an SDK span, timed on the clocks given', () => {
    const { exporter, calls, shared } = setup()
    const start = performance.now() - 12
    const wallAtStart = Date.now() - 12
    const span = new LightSpan(
      shared,
      scopeOf('sightline'),
      SpanKind.SERVER,
      context,
      'GET',
      { 'http.request.method': 'GET' },
      1,
      undefined,
      start,
      ROOT_CONTEXT,
    )
    span.setAttribute('http.response.status_code', 200)
    span.updateName('GET /users/:id')
    span.endAt(start + 12)
    span.end()
    span.setAttribute('late', 1)

    assert.deepEqual(calls, ['start GET', 'ending GET /users/:id recording=true', 'end GET /users/:id ended=true'])
    const [exported] = exporter.getFinishedSpans()
    assert.ok(exported)
    assert.equal(exported.kind, SpanKind.SERVER)
    assert.equal(exported.spanContext().traceId, TRACE_ID)
    assert.deepEqual(exported.attributes, { 'http.request.method': 'GET', 'http.response.status_code': 200 })
    assert.equal(exported.instrumentationScope.name, 'sightline')
    assert.equal(exported.resource, shared.resource)
    assert.ok(Math.abs(hrTimeToMilliseconds(exported.duration) - 12) < 0.01, `duration ${exported.duration}`)
    assert.ok(Math.abs(hrTimeToMilliseconds(exported.startTime) - wallAtStart) < 50, 'start time is wall-clock')
    assert.equal(exporter.getFinishedSpans().length, 1, 'a second end() is ignored')
  })

  test('keeps the SDK limits: attribute count and length, events, links; invalid values are refused', () => {
    const { exporter, shared } = setup({
      attributeCountLimit: 3,
      attributeValueLengthLimit: 4,
      eventCountLimit: 2,
      linkCountLimit: 1,
    })
    const span = new LightSpan(
      shared,
      scopeOf('sightline'),
      SpanKind.SERVER,
      context,
      'GET',
      { a: 'x' },
      1,
      undefined,
      performance.now(),
      ROOT_CONTEXT,
    )
    span.setAttribute('b', 'abcdefgh')
    span.setAttribute('c', ['long string', 'ok'])
    span.setAttribute('d', 'dropped')
    span.setAttribute('a', 'replaced')
    span.setAttribute('bad', { nested: true } as never)
    span.addEvent('one')
    span.addEvent('two', { k: 'v' })
    span.addEvent('three', [1, 500_000_000])
    span.addLink({ context: { ...context, spanId: '1111111111111111' } })
    span.addLinks([{ context: { ...context, spanId: '2222222222222222' }, attributes: { w: 1 } }])
    span.end()

    const [exported] = exporter.getFinishedSpans()
    assert.ok(exported)
    assert.deepEqual(exported.attributes, { a: 'repl', b: 'abcd', c: ['long', 'ok'] })
    assert.equal(exported.droppedAttributesCount, 1)
    assert.deepEqual(
      exported.events.map((event) => event.name),
      ['two', 'three'],
    )
    assert.deepEqual(exported.events[1]?.time, [1, 500_000_000])
    assert.equal(exported.droppedEventsCount, 1)
    assert.equal(exported.links.length, 1)
    assert.equal(exported.links[0]?.context.spanId, '2222222222222222')
    assert.deepEqual(exported.links[0]?.attributes, { w: 1 })
    assert.equal(exported.droppedLinksCount, 1)
  })

  test('status follows the specification: UNSET never overrides, OK is final, a message only with ERROR', () => {
    const { exporter, shared } = setup()
    const span = new LightSpan(
      shared,
      scopeOf('sightline'),
      SpanKind.SERVER,
      context,
      'GET',
      {},
      0,
      undefined,
      performance.now(),
      ROOT_CONTEXT,
    )
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' })
    span.setStatus({ code: SpanStatusCode.UNSET })
    span.recordException(Object.assign(new TypeError('bad input'), { code: 'E_BAD' }))
    span.recordException('plain text')
    span.end()
    const [exported] = exporter.getFinishedSpans()
    assert.deepEqual(exported?.status, { code: SpanStatusCode.ERROR, message: 'boom' })
    assert.deepEqual(
      exported?.events.map((event) => [
        event.name,
        event.attributes?.['exception.type'],
        event.attributes?.['exception.message'],
      ]),
      [
        ['exception', 'E_BAD', 'bad input'],
        ['exception', undefined, 'plain text'],
      ],
    )

    const ok = new LightSpan(
      shared,
      scopeOf('sightline'),
      SpanKind.SERVER,
      context,
      'GET',
      {},
      0,
      undefined,
      performance.now(),
      ROOT_CONTEXT,
    )
    ok.setStatus({ code: SpanStatusCode.OK, message: 'dropped' })
    ok.setStatus({ code: SpanStatusCode.ERROR })
    ok.end()
    assert.deepEqual(exporter.getFinishedSpans()[1]?.status, { code: SpanStatusCode.OK })
  })

  test('an SDK tracer without the expected fields gives no shared state (the caller keeps startSpan)', () => {
    assert.equal(sinkOfSdkTracer({}), undefined)
    assert.equal(sinkOfSdkTracer({ _spanProcessor: {}, _resource: {}, _spanLimits: {} }), undefined)
  })

  test('the pipeline builds the same exported span with and without the SDK internals it reads', () => {
    const exported: ReadableSpan[] = []
    for (const hideInternals of [false, true]) {
      const { exporter, hooks } = serverSpans(hideInternals)
      const req = {
        method: 'POST',
        url: '/users/7?x=1',
        httpVersion: '1.1',
        headers: { host: 'api.local:8080', traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
        socket: { remoteAddress: '10.0.0.9' },
      }
      const request = new RequestContext('id-1', req as never, {} as never, performance.now())
      hooks.start(request)
      assert.equal(request.traceId, TRACE_ID)
      assert.equal((request.span as object) instanceof LightSpan, !hideInternals)
      hooks.end(request, 201, new RouteState('/users/:id'), methodIndex('POST'), false, performance.now())
      const [span] = exporter.getFinishedSpans()
      assert.ok(span)
      exported.push(span)
    }
    const [light, sdk] = exported as [ReadableSpan, ReadableSpan]
    for (const span of [light, sdk]) {
      assert.equal(span.name, 'POST /users/:id')
      assert.equal(span.kind, SpanKind.SERVER)
      assert.equal(span.parentSpanContext?.spanId, 'b7ad6b7169203331')
      assert.equal(span.parentSpanContext?.isRemote, true)
    }
    assert.deepEqual(light.attributes, sdk.attributes)
    assert.deepEqual(light.attributes['server.port'], 8080)
  })

  test('server.address and server.port follow each request’s Host header, one after another', () => {
    const { exporter, hooks } = serverSpans(false)
    const hosts = [
      'api.local:8080',
      'api.local:8080',
      'other.local',
      '[::1]:9090',
      '[::1]',
      'bad:port',
      'api.local:8080',
    ]
    for (const host of hosts) {
      const req = { method: 'GET', url: '/', httpVersion: '1.1', headers: { host }, socket: {} }
      const request = new RequestContext('id', req as never, {} as never, performance.now())
      hooks.start(request)
      hooks.end(request, 200, undefined, methodIndex('GET'), false, performance.now())
    }
    const seen = exporter
      .getFinishedSpans()
      .map((span) => [span.attributes['server.address'], span.attributes['server.port']])
    assert.deepEqual(seen, [
      ['api.local', 8080],
      ['api.local', 8080],
      ['other.local', undefined],
      ['[::1]', 9090],
      ['[::1]', undefined],
      ['bad', undefined],
      ['api.local', 8080],
    ])
  })

  /** A tracing instance over `provider`, registered as the global one (as `global: true` does). */
  function globalInstance(provider: BasicTracerProvider, sink: ReturnType<typeof sinkOfSdkTracer>) {
    const instance = new TracingInstance(provider, new SightlineContextManager(), new W3CTraceContextPropagator(), sink)
    trace.disable()
    trace.setGlobalTracerProvider(provider)
    registerGlobalInstance(instance)
    return instance
  }

  test('client spans: light under a sampled parent when the sink is set, the SDK otherwise', (t) => {
    const { exporter, shared, provider } = setup()
    t.after(() => trace.disable())
    const parent = provider.getTracer('app').startSpan('parent')
    const parentContext = trace.setSpan(ROOT_CONTEXT, parent)

    globalInstance(provider, shared)
    const light = startClientSpan('sightline-cache', 'get redis', { 'db.system.name': 'redis' }, parent, parentContext)
    assert.ok(light instanceof LightSpan)
    light.end()
    // The same provider, in an instance whose sampler is not parent-based (no sink).
    globalInstance(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), undefined)
    const sdk = startClientSpan('sightline-cache', 'get redis', { 'db.system.name': 'redis' }, parent, parentContext)
    assert.equal(sdk instanceof LightSpan, false)
    sdk.end()

    const [a, b] = exporter.getFinishedSpans() as [ReadableSpan, ReadableSpan]
    for (const span of [a, b]) {
      assert.equal(span.kind, SpanKind.CLIENT)
      assert.equal(span.spanContext().traceId, parent.spanContext().traceId)
      assert.equal(span.parentSpanContext?.spanId, parent.spanContext().spanId)
      assert.equal(span.instrumentationScope.name, 'sightline-cache')
      assert.deepEqual(span.attributes, { 'db.system.name': 'redis' })
    }
    assert.notEqual(a.spanContext().spanId, b.spanContext().spanId)
  })

  test('a parent that records but is not sampled gets its children from the SDK (which decides)', (t) => {
    const { shared, provider } = setup()
    t.after(() => trace.disable())
    globalInstance(provider, shared)
    const parent = trace.wrapSpanContext({ ...context, traceFlags: TraceFlags.NONE })
    const child = startClientSpan('sightline-pg', 'SELECT', {}, parent, trace.setSpan(ROOT_CONTEXT, parent))
    assert.equal(child instanceof LightSpan, false)
  })
})
