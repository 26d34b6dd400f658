import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatEpochMillis, formatMillis } from './numbers.js'

const reference = (ms: number) => String(Math.round(ms * 1000) / 1000)

test('formatMillis prints what String(Math.round(ms * 1000) / 1000) prints', () => {
  const edges = [0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.5, 1, 1.05, 1.5, 1.005, 9.999, 10, 999.9995, 1000, 12345.678]
  const large = [2 ** 31 / 1000 - 0.001, 2 ** 31 / 1000, 2 ** 31 / 1000 + 0.001, 1e9, 1e12, 1e21]
  const odd = [-0, -0.0004, -1.5, -12.345, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
  for (const ms of [...edges, ...large, ...odd]) assert.equal(formatMillis(ms), reference(ms), `ms = ${ms}`)
  // Every thousandth below 10 ms, and random durations at every scale a request can take.
  for (let micros = 0; micros < 10_000; micros++) assert.equal(formatMillis(micros / 1000), reference(micros / 1000))
  for (let i = 0; i < 200_000; i++) {
    const ms = Math.random() * 10 ** Math.floor(Math.random() * 8)
    assert.equal(formatMillis(ms), reference(ms), `ms = ${ms}`)
  }
})

test('formatEpochMillis prints what String(now) prints', () => {
  const edges = [0, 1, 999_999, 1_000_000, 1_000_001, 1_999_999, 2_000_000, 1_764_000_000_000, 1_764_000_999_999]
  const odd = [-1, -0, 1.5, 2 ** 53, 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY]
  for (const now of [...edges, ...odd]) assert.equal(formatEpochMillis(now), String(now), `now = ${now}`)
  // Consecutive milliseconds across a change of the millions, then random ones at every scale.
  for (let now = 1_763_999_990_000; now < 1_764_000_010_000; now++) assert.equal(formatEpochMillis(now), String(now))
  for (let i = 0; i < 100_000; i++) {
    const now = Math.floor(Math.random() * 10 ** Math.floor(Math.random() * 14))
    assert.equal(formatEpochMillis(now), String(now), `now = ${now}`)
  }
})
