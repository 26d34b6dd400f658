/**
 * `traceparent` as W3C Trace Context Level 2 specifies it ("traceparent Header Field Values",
 * "Versioning of traceparent", "trace-flags"), with the cases of the W3C harness's test.py ported.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { formatTraceparent, parseTraceparent, W3CTraceContext } from './trace-context.js'

const TRACE_ID = '12345678901234567890123456789012'
const PARENT_ID = '1234567890123456'
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`

describe('traceparent parsing', () => {
  test('a valid version 00 value gives its ids and flags, remote', () => {
    assert.deepEqual(
      { ...parseTraceparent(VALID) },
      { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 1, isRemote: true, traceState: undefined },
    )
  })

  test('version 00 is exactly 55 characters: anything after the flags is invalid', () => {
    for (const value of [`${VALID}.`, `${VALID}-what-the-future-will-be-like`, `${VALID}-`, `${VALID}0`]) {
      assert.equal(parseTraceparent(value), undefined, value)
    }
  })

  test('a higher version (01-fe) is parsed, longer only when character 56 is a dash', () => {
    for (const version of ['01', 'cc', 'fe']) {
      const base = `${version}-${TRACE_ID}-${PARENT_ID}-01`
      assert.equal(parseTraceparent(base)?.traceId, TRACE_ID, base)
      assert.equal(parseTraceparent(`${base}-what-the-future-will-be-like`)?.traceId, TRACE_ID)
      assert.equal(parseTraceparent(`${base}.what-the-future-will-be-like`), undefined)
      assert.equal(parseTraceparent(`${base}x`), undefined)
    }
  })

  test('version ff is forbidden; a version not two lowercase hex digits is invalid', () => {
    for (const version of ['ff', '.0', '0.', '000', '0000', '0', 'AA', 'Cc', 'g0']) {
      assert.equal(parseTraceparent(`${version}-${TRACE_ID}-${PARENT_ID}-01`), undefined, version)
    }
  })

  test('trace-id: 32 lowercase hex digits, not all zero', () => {
    for (const traceId of [
      '0'.repeat(32),
      `.${TRACE_ID.slice(1)}`,
      `${TRACE_ID.slice(0, 31)}.`,
      `${TRACE_ID}3`,
      TRACE_ID.slice(1),
      'ABCDEF78901234567890123456789012',
    ]) {
      assert.equal(parseTraceparent(`00-${traceId}-${PARENT_ID}-01`), undefined, traceId)
    }
  })

  test('parent-id: 16 lowercase hex digits, not all zero', () => {
    for (const parentId of [
      '0'.repeat(16),
      `.${PARENT_ID.slice(1)}`,
      `${PARENT_ID.slice(0, 15)}.`,
      `${PARENT_ID}7`,
      PARENT_ID.slice(1),
      'ABCDEF7890123456',
    ]) {
      assert.equal(parseTraceparent(`00-${TRACE_ID}-${parentId}-01`), undefined, parentId)
    }
  })

  test('trace-flags: two lowercase hex digits', () => {
    for (const flags of ['.0', '0.', '001', '1', 'A1']) {
      assert.equal(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-${flags}`), undefined, flags)
    }
  })

  test('leading and trailing optional whitespace (space, tab) is not part of the value', () => {
    for (const value of [` ${VALID}`, `\t${VALID}`, `${VALID} `, `${VALID}\t`, `\t ${VALID} \t`]) {
      assert.equal(parseTraceparent(value)?.traceId, TRACE_ID, JSON.stringify(value))
    }
  })

  test('the field sent more than once is invalid: an array, or values joined with a comma', () => {
    const other = `00-12345678901234567890123456789011-${PARENT_ID}-01`
    assert.equal(parseTraceparent([other, VALID]), undefined)
    assert.equal(parseTraceparent(`${other}, ${VALID}`), undefined)
    assert.equal(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-x, ${other}`), undefined)
    assert.equal(parseTraceparent([VALID])?.traceId, TRACE_ID)
  })

  test('flags keep the sampled and random bits and clear the others ("MUST set those to zero")', () => {
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-02`)?.traceFlags, 2)
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-03`)?.traceFlags, 3)
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-ff`)?.traceFlags, 3)
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-08`)?.traceFlags, 0)
  })
})

describe('W3CTraceContext', () => {
  const propagator = new W3CTraceContext()
  const extract = (headers: Record<string, string | string[]>) =>
    trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter))
  const inject = (spanContext: Parameters<typeof trace.wrapSpanContext>[0]) => {
    const carrier: Record<string, string> = {}
    propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, defaultTextMapSetter)
    return carrier
  }

  test('sends version 00 with the random flag kept and other flags cleared', () => {
    assert.equal(
      formatTraceparent({ traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 0x03 }),
      `00-${TRACE_ID}-${PARENT_ID}-03`,
    )
    assert.equal(
      formatTraceparent({ traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 0x02 }),
      `00-${TRACE_ID}-${PARENT_ID}-02`,
    )
    assert.equal(
      formatTraceparent({ traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 0xff }),
      `00-${TRACE_ID}-${PARENT_ID}-03`,
    )
    // A higher version received is sent on as 00 ("downgrade the version").
    const spanContext = extract({ traceparent: `cc-${TRACE_ID}-${PARENT_ID}-01-future` })
    assert.equal(inject(spanContext!).traceparent, `00-${TRACE_ID}-${PARENT_ID}-01`)
  })

  test('tracestate is read only with a valid traceparent', () => {
    assert.equal(extract({ tracestate: 'foo=1' }), undefined)
    assert.equal(extract({ traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01`, tracestate: 'foo=1' }), undefined)
    assert.equal(extract({ traceparent: VALID, tracestate: 'foo=1' })?.traceState?.get('foo'), '1')
  })

  test('several tracestate fields are one list, in order', () => {
    const spanContext = extract({ traceparent: VALID, tracestate: ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'] })
    assert.equal(spanContext?.traceState?.serialize(), 'foo=1,bar=2,rojo=1,congo=2,baz=3')
  })

  test('a received tracestate is sent on an unsampled context too; an empty one never', () => {
    const spanContext = extract({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`, tracestate: 'foo=1' })
    assert.equal(spanContext?.traceFlags, TraceFlags.NONE)
    assert.equal(inject(spanContext!).tracestate, 'foo=1')
    for (const tracestate of ['', ' , ', 'foo=1,foo=2']) {
      const carrier = inject(extract({ traceparent: VALID, tracestate })!)
      assert.equal('tracestate' in carrier, false, JSON.stringify(tracestate))
    }
  })

  test('injects nothing for an invalid span context', () => {
    assert.deepEqual(inject({ traceId: '0'.repeat(32), spanId: PARENT_ID, traceFlags: 1 }), {})
    assert.deepEqual(inject({ traceId: 'ABCDEF78901234567890123456789012', spanId: PARENT_ID, traceFlags: 1 }), {})
    assert.deepEqual(inject({ traceId: TRACE_ID, spanId: 'short', traceFlags: 1 }), {})
  })
})
