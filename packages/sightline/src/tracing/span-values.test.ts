import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'
import { SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core'
import { hrTimeBetween, hrTimeOf, plainConstructor, SpanIds, Status } from './span-values.js'

describe('span values', () => {
  test('hrTimeOf and hrTimeBetween give what @opentelemetry/core gives', () => {
    const readings = [0, 0.000_001, 1, 999.999_999_6, 1_000, 1_764_000_000_000 + 123.4567, 1_764_000_000_000 + 999.9999]
    for (const millis of readings) assert.deepEqual(hrTimeOf(millis), millisToHrTime(millis), String(millis))
    for (const start of readings) {
      for (const end of readings) {
        const [a, b] = [hrTimeOf(start), hrTimeOf(end)]
        assert.deepEqual(hrTimeBetween(a, b), hrTimeDuration(a, b), `${start} → ${end}`)
      }
    }
  })

  test('SpanIds and Status are plain objects, equal to the literals they replace', () => {
    const ids = new SpanIds('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', TraceFlags.SAMPLED, undefined)
    assert.equal(Object.getPrototypeOf(ids), Object.prototype)
    assert.deepEqual(ids, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: undefined,
    })
    assert.deepEqual(new Status(SpanStatusCode.OK), { code: SpanStatusCode.OK })
    assert.equal('message' in new Status(SpanStatusCode.UNSET), false)
    assert.deepEqual(new Status(SpanStatusCode.ERROR, 'boom'), { code: SpanStatusCode.ERROR, message: 'boom' })
    assert.equal(inspect(new Status(SpanStatusCode.ERROR, 'boom')), "{ code: 2, message: 'boom' }")
  })

  test('plainConstructor: keys in the order set, no prototype of its own', () => {
    const Pair = plainConstructor<new (a: string, b: number) => Record<string, unknown>>(function (
      this: Record<string, unknown>,
      a: string,
      b: number,
    ) {
      this['x.a'] = a
      this['x.b'] = b
    })
    const pair = new Pair('one', 2)
    assert.deepEqual(Object.keys(pair), ['x.a', 'x.b'])
    assert.deepEqual(pair, { 'x.a': 'one', 'x.b': 2 })
    assert.equal(JSON.stringify(pair), '{"x.a":"one","x.b":2}')
  })
})
