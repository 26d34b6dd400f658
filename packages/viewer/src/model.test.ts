/**
 * @module viewer/model.test
 * The sampling probability read from a W3C tracestate's `ot=th:` threshold (OpenTelemetry's
 * probability sampling), as the OpenTelemetry JS composite sampler writes it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { samplingProbability } from './model.js'

describe('samplingProbability', () => {
  it('reads the threshold as 1 - th / 2^56', () => {
    assert.equal(samplingProbability('ot=th:0'), 1)
    assert.equal(samplingProbability('ot=th:8'), 0.5)
    assert.equal(samplingProbability('ot=th:c'), 0.25)
    assert.ok(Math.abs(samplingProbability('ot=th:e666666666666')! - 0.1) < 1e-12)
  })

  it('finds the ot member among others and th among its fields', () => {
    assert.equal(samplingProbability('vendor=abc,ot=rv:0123456789abcd;th:8,other=x'), 0.5)
  })

  it('gives undefined for no threshold or an invalid one', () => {
    assert.equal(samplingProbability(''), undefined)
    assert.equal(samplingProbability('ot=rv:0123456789abcd'), undefined)
    assert.equal(samplingProbability('ot=th:xyz'), undefined)
    assert.equal(samplingProbability('ot=th:0123456789abcdef'), undefined)
    assert.equal(samplingProbability('vendor=th:8'), undefined)
  })
})
