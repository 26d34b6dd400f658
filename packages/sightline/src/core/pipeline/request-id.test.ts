import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRequestIdGenerator, isSafeRequestId } from './request-id.js'

test('accepts 1–128 characters of the safe set', () => {
  for (const id of ['a', 'abc-123', 'A_b.c:d+e=f/g@h', 'x'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e']) {
    assert.equal(isSafeRequestId(id), true, id)
  }
})

test('refuses empty, long, or unsafe ids', () => {
  for (const id of ['', 'x'.repeat(129), 'a b', 'a\r\nb', '<script>', 'a"b', "a'b", 'a;b', 'é', undefined, ['a'], 42]) {
    assert.equal(isSafeRequestId(id), false, String(id))
  }
})

test('generated ids are safe, distinct, and differ between generators (processes)', () => {
  const a = createRequestIdGenerator()
  const b = createRequestIdGenerator()
  const seen = new Set<string>()
  for (let i = 0; i < 10000; i++) {
    const id = a()
    assert.equal(isSafeRequestId(id), true)
    seen.add(id)
  }
  assert.equal(seen.size, 10000)
  const prefixA = a().split('-')[0]
  const prefixB = b().split('-')[0]
  assert.notEqual(prefixA, prefixB)
})

test('the counter counts in base 36 across the table of its last two digits', () => {
  const next = createRequestIdGenerator()
  const counters = Array.from({ length: 3000 }, () => next().split('-')[1] as string)
  assert.deepEqual(counters.slice(0, 3), ['001', '002', '003'])
  // The text after the prefix is the counter in base 36, at least three digits.
  for (const [i, counter] of counters.entries()) {
    assert.equal(Number.parseInt(counter, 36), i + 1, counter)
  }
  assert.equal(counters[1294], '0zz')
  assert.equal(counters[1295], '100')
})
