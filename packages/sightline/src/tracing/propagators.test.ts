/**
 * OTEL_PROPAGATORS as OpenTelemetry defines it: a comma-separated list, `tracecontext,baggage` by
 * default, `none` for none, and the propagator packages loaded only when named.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { importPeer } from '../core/errors.js'
import { resolveTracingOptions } from './options.js'
import { buildPropagator } from './propagators.js'

const TRACEPARENT = '00-12345678901234567890123456789012-1234567890123456-01'
const resolve = (value: string | undefined) => resolveTracingOptions({}, { OTEL_PROPAGATORS: value }).propagators

describe('OTEL_PROPAGATORS', () => {
  test('defaults to tracecontext,baggage; names are trimmed, lowercased and kept once, in order', () => {
    assert.deepEqual(resolve(undefined), ['tracecontext', 'baggage'])
    assert.deepEqual(resolve(''), ['tracecontext', 'baggage'])
    assert.deepEqual(resolve(' B3 , tracecontext,b3'), ['b3', 'tracecontext'])
    assert.deepEqual(resolveTracingOptions({ propagators: ['baggage'] }, {}).propagators, ['baggage'])
  })

  test('an unknown name is an option error naming the known ones', () => {
    assert.throws(() => resolve('tracecontext,w3c'), { code: 'SIGHTLINE_ERR_INVALID_OPTION', message: /"w3c"/ })
  })

  test('the default reads and writes traceparent, tracestate and baggage', async () => {
    const propagator = await buildPropagator(resolve(undefined))
    assert.deepEqual(propagator.fields(), ['traceparent', 'tracestate', 'baggage'])
    const context = propagator.extract(
      ROOT_CONTEXT,
      { traceparent: TRACEPARENT, tracestate: 'a=1', baggage: 'k=v' },
      defaultTextMapGetter,
    )
    const carrier: Record<string, string> = {}
    propagator.inject(context, carrier, defaultTextMapSetter)
    assert.deepEqual(carrier, { traceparent: TRACEPARENT, tracestate: 'a=1', baggage: 'k=v' })
  })

  test('none reads and writes nothing', async () => {
    const propagator = await buildPropagator(resolve('none'))
    const context = propagator.extract(ROOT_CONTEXT, { traceparent: TRACEPARENT }, defaultTextMapGetter)
    assert.equal(trace.getSpanContext(context), undefined)
    const carrier: Record<string, string> = {}
    propagator.inject(
      trace.setSpanContext(ROOT_CONTEXT, { traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 1 }),
      carrier,
      defaultTextMapSetter,
    )
    assert.deepEqual(carrier, {})
  })

  test('b3, b3multi and jaeger come from their OpenTelemetry packages', async () => {
    const spanContext = { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 }
    const injected = async (names: string) => {
      const carrier: Record<string, string> = {}
      ;(await buildPropagator(resolve(names))).inject(
        trace.setSpanContext(ROOT_CONTEXT, spanContext),
        carrier,
        defaultTextMapSetter,
      )
      return carrier
    }
    assert.deepEqual(Object.keys(await injected('b3')), ['b3'])
    assert.deepEqual(Object.keys(await injected('b3multi')).sort(), ['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid'])
    assert.deepEqual(Object.keys(await injected('jaeger')), ['uber-trace-id'])
    const b3 = await buildPropagator(resolve('b3'))
    const extracted = b3.extract(ROOT_CONTEXT, { b3: `${'1'.repeat(32)}-${'2'.repeat(16)}-1` }, defaultTextMapGetter)
    assert.equal(trace.getSpanContext(extracted)?.traceId, '1'.repeat(32))
  })

  test('a propagator whose package is not installed is an error naming the package', async () => {
    const missing = <T>(name: string, feature: string) => importPeer<T>(`${name}-not-installed`, feature)
    await assert.rejects(buildPropagator(['tracecontext', 'jaeger'], missing), {
      code: 'SIGHTLINE_ERR_MISSING_PEER',
      message: /OTEL_PROPAGATORS=jaeger needs the package @opentelemetry\/propagator-jaeger-not-installed/,
    })
  })
})
