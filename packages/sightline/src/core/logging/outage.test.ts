/**
 * @module core/logging/outage.test
 * An outage is told when it begins, at most once an interval while it lasts (with what was lost
 * since), and when it ends (with what it cost in all); the next outage is told again.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Outage } from './outage.js'

test('an outage: told at its start, once an interval, at its end; the next one too', () => {
  let now = 0
  const told: string[] = []
  const outage = new Outage(
    {
      failing: (error, f) => told.push(`${now} failing ${error.message} ${f.records_dropped}/${f.failed_exports}`),
      recovered: (f) => told.push(`${now} recovered ${f.records_dropped}/${f.failed_exports} in ${f.outage_ms}`),
    },
    60_000,
    () => now,
  )
  outage.succeeded() // nothing to tell
  outage.failed(new Error('down'), 10)
  now = 30_000
  outage.failed(new Error('down'), 5)
  now = 59_999
  outage.failed(new Error('down'), 5)
  now = 60_000
  outage.failed(new Error('still'), 1)
  assert.equal(outage.ongoing, true)
  now = 70_000
  outage.succeeded()
  assert.equal(outage.ongoing, false)
  now = 80_000
  outage.failed(new Error('again'), 2)
  assert.deepEqual(told, [
    '0 failing down 10/1',
    '60000 failing still 11/3',
    '70000 recovered 21/4 in 70000',
    '80000 failing again 2/1',
  ])
})

test('a listener that throws does not reach the exporter', () => {
  const outage = new Outage({
    failing: () => {
      throw new Error('logger broken')
    },
    recovered: () => {
      throw new Error('logger broken')
    },
  })
  outage.failed(new Error('down'), 1)
  outage.succeeded()
})
