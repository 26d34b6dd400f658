/**
 * @module instrumentations/cache/breaker.test
 * The breaker's states: closed until `failures` in a row, open (failing fast) for `openMs`, then
 * one probe: its success closes, its failure opens again; told once when it opens and closes.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Breaker } from './breaker.js'

test('closed → open after failures in a row → one probe → closed', () => {
  let now = 0
  const told: string[] = []
  const breaker = new Breaker(
    'redis',
    { failures: 3, openMs: 1000 },
    {
      opened: (f) => told.push(`opened ${f.failures} ${f.open_ms}`),
      closed: (f) => told.push(`closed ${f.outage_ms} ${f.rejected}`),
    },
    () => now,
  )
  breaker.failed(new Error('timeout'))
  breaker.failed(new Error('timeout'))
  breaker.succeeded() // a success in between: not in a row
  breaker.failed(new Error('timeout'))
  breaker.failed(new Error('timeout'))
  assert.equal(breaker.allow(), true)
  breaker.failed(new Error('timeout'))
  assert.equal(breaker.isOpen, true)
  assert.equal(breaker.allow(), false)
  assert.equal(breaker.error.code, 'SIGHTLINE_ERR_CIRCUIT_OPEN')
  now = 999
  assert.equal(breaker.allow(), false)
  now = 1000
  assert.equal(breaker.allow(), true, 'one probe')
  assert.equal(breaker.allow(), false, 'only one')
  breaker.failed(new Error('still'))
  now = 1500
  assert.equal(breaker.allow(), false, 'open again for openMs')
  now = 2000
  assert.equal(breaker.allow(), true)
  breaker.succeeded()
  assert.equal(breaker.isOpen, false)
  assert.equal(breaker.allow(), true)
  assert.deepEqual(told, ['opened 3 1000', 'closed 2000 4'])
})
