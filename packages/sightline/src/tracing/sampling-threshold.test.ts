/**
 * @module tracing/sampling-threshold.test
 * The threshold written for a ratio decodes back to that ratio (as OpenTelemetry's spec reads `th`),
 * and a sampled trace's id has randomness at or above it, its first 18 hex digits kept.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SamplingThreshold } from './sampling-threshold.js'

/** The spec's reading of `th:<hex>`: the digits padded to 14 on the right, over 2^56, from 1. */
function probabilityOf(value: string): number {
  const digits = value.slice('th:'.length).padEnd(14, '0')
  return 1 - Number(BigInt(`0x${digits}`)) / 2 ** 56
}

test('the threshold of a ratio: th digits, trailing zeros dropped, decoding back to the ratio', () => {
  assert.equal(new SamplingThreshold(0.5).value, 'th:8')
  assert.equal(new SamplingThreshold(0.25).value, 'th:c')
  assert.equal(new SamplingThreshold(0.75).value, 'th:4')
  for (const ratio of [0.1, 0.01, 0.333, 0.999, 1e-6]) {
    const { value } = new SamplingThreshold(ratio)
    assert.match(value, /^th:[0-9a-f]{1,14}$/)
    assert.ok(Math.abs(probabilityOf(value) - ratio) < 1e-12, `${ratio}: ${value}`)
  }
  assert.equal(new SamplingThreshold(0.1).traceState.serialize(), `ot=${new SamplingThreshold(0.1).value}`)
})

test("a sampled trace id's randomness is at least the threshold, uniform above it; its head is kept", () => {
  const threshold = new SamplingThreshold(0.1)
  const limit = BigInt(`0x${threshold.value.slice(3).padEnd(14, '0')}`)
  const head = '4bf92f3577b34da6a3'
  let low = 0
  for (let i = 0; i < 20_000; i++) {
    const id = threshold.sampledTraceId(`${head}ce929d0e0e4736`)
    assert.match(id, /^[0-9a-f]{32}$/)
    assert.equal(id.slice(0, 18), head)
    const randomness = BigInt(`0x${id.slice(18)}`)
    assert.ok(randomness >= limit && randomness < 2n ** 56n, id)
    // Uniform over [T, 2^56): about half below the middle of that range.
    if (randomness < limit + (2n ** 56n - limit) / 2n) low++
  }
  assert.ok(low > 9_500 && low < 10_500, `${low}`)
})
