/**
 * @module viewer/values.test
 * Nested OTLP values become bounded JSON text in one pass. Before, each level was converted to
 * text and quoted again by its parent, doubling per level: an 850-byte span nested 24 deep became
 * 134 million characters (30 such spans took the viewer to 1.4 GB), and the 8,192-character cut
 * never applied to the result. The same held for log bodies.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newNormaliseCounters } from './counters.js'
import { DEFAULT_LIMITS } from './limits.js'
import { normaliseLogs, normaliseTraces } from './normalise.js'
import { anyValue, MAX_NESTING_DEPTH } from './values.js'

/** Arrays and maps in turn, `depth` deep, with quotes and backslashes at every level (they doubled when re-quoted). */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { stringValue: 'x"\\' }
  for (let i = 0; i < depth; i++) {
    value =
      i % 2 === 1
        ? { arrayValue: { values: [value, { stringValue: 'a"b' }] } }
        : { kvlistValue: { values: [{ key: 'k"', value }] } }
  }
  return value
}

const now = `${Date.now()}000000`

function spanRequest(count: number, value: Record<string, unknown>): Record<string, unknown> {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'nested',
    startTimeUnixNano: now,
    endTimeUnixNano: now,
    attributes: [{ key: 'deep', value }],
  }))
  return { resourceSpans: [{ scopeSpans: [{ spans }] }] }
}

describe('viewer values: nested arrays and maps', () => {
  it('writes shallow nesting as plain JSON, each string quoted once', () => {
    const counters = newNormaliseCounters()
    const text = anyValue(
      {
        arrayValue: {
          values: [
            { stringValue: 'a"b' },
            { intValue: '5' },
            { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }, { key: 'n' }] } },
            { arrayValue: {} },
          ],
        },
      },
      DEFAULT_LIMITS,
      counters,
    )
    assert.equal(text, '["a\\"b",5,{"k":true,"n":null},[]]')
    assert.equal(counters.valuesTruncated, 0)
  })

  it('converts 30 spans nested 24 deep to short, valid JSON at once, marking the cut depth', () => {
    const counters = newNormaliseCounters()
    const started = performance.now()
    const spans = normaliseTraces(spanRequest(30, nested(24)), { limits: DEFAULT_LIMITS, counters })
    const elapsed = performance.now() - started
    assert.equal(spans.length, 30)
    for (const span of spans) {
      const text = span.attributes.deep as string
      assert.ok(text.length < 1000, `${text.length} characters`)
      assert.ok(text.includes('"…"'), 'the levels past the depth limit are marked')
      let depth = 0
      for (let value: unknown = JSON.parse(text); typeof value === 'object' && value !== null; depth++) {
        value = Array.isArray(value) ? value[0] : Object.values(value)[0]
      }
      assert.equal(depth, MAX_NESTING_DEPTH)
    }
    assert.equal(counters.valuesTruncated, 30)
    assert.ok(elapsed < 200, `${elapsed.toFixed(0)} ms`)
  })

  it('stops at the character budget, never building the long text', () => {
    const counters = newNormaliseCounters()
    const values = Array.from({ length: 200_000 }, (_, i) => ({ stringValue: `item-${i}` }))
    const huge = 'y'.repeat(5_000_000)
    for (const value of [{ arrayValue: { values } }, { arrayValue: { values: [{ stringValue: huge }] } }]) {
      const text = anyValue(value, DEFAULT_LIMITS, counters) as string
      assert.equal(text.length, DEFAULT_LIMITS.maxValueLength + 1)
      assert.ok(text.endsWith('…'))
    }
    assert.equal(counters.valuesTruncated, 2)
  })

  it('bounds a nested log body the same way', () => {
    const counters = newNormaliseCounters()
    const logs = normaliseLogs(
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: now, body: nested(24) }] }] }] },
      { limits: DEFAULT_LIMITS, counters },
    )
    assert.equal(logs.length, 1)
    assert.ok(logs[0]!.body.length < 1000, `${logs[0]!.body.length} characters`)
    assert.equal(counters.valuesTruncated, 1)
  })
})
