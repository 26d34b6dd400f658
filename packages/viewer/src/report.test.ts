/**
 * @module viewer/report.test
 * The limits report: one line when a limit first cuts data, then at most one a minute, each with
 * what was cut since the line before; nothing when nothing was cut.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { newStoreCounters } from './counters.js'
import { LimitReporter } from './report.js'

test('reports cut data at once, then at most once per interval, with the deltas', async () => {
  const counters = newStoreCounters()
  const lines: string[] = []
  const reporter = new LimitReporter(counters, (line) => lines.push(line), 40)
  counters.spans += 10 // received, not cut: no line
  reporter.check()
  assert.deepEqual(lines, [])
  counters.attributesDropped += 5
  reporter.check()
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /attributesDropped \+5/)
  counters.attributesDropped += 2
  counters.evictedForBytes += 1
  reporter.check()
  reporter.check()
  assert.equal(lines.length, 1, 'within the interval: held back')
  await sleep(80)
  assert.equal(lines.length, 2, 'then reported once')
  assert.match(lines[1]!, /attributesDropped \+2, evictedForBytes \+1/)
  reporter.check()
  assert.equal(lines.length, 2)
  reporter.close()
})
