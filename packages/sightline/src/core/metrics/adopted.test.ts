/**
 * @module core/metrics/adopted.test
 * The format conversion of an adopted registry's exposition: counters as OpenMetrics names them
 * (family `x`, sample `x_total`) and back, blank lines and `# EOF` dropped, exemplars only in OpenMetrics.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { convert, emittedNames } from './adopted.js'

const TEXT = `# HELP jobs_total Jobs.
# TYPE jobs_total counter
jobs_total{q="a"} 3

# HELP retries Retries.
# TYPE retries counter
retries 2

# HELP depth Depth.
# TYPE depth gauge
depth 7
`

test('text to OpenMetrics: counter families without _total, samples with it, no blank lines', () => {
  assert.equal(
    convert(TEXT, false, true),
    `# HELP jobs Jobs.
# TYPE jobs counter
jobs_total{q="a"} 3
# HELP retries Retries.
# TYPE retries counter
retries_total 2
# HELP depth Depth.
# TYPE depth gauge
depth 7
`,
  )
})

test('OpenMetrics to text: counter families with _total, exemplars and # EOF dropped', () => {
  const om = `# HELP jobs Jobs.
# TYPE jobs counter
jobs_total{q="a"} 3 # {trace_id="abc"} 1 1700000000
# EOF
`
  assert.equal(convert(om, true, false), '# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{q="a"} 3\n')
})

test('the names a metric puts in an exposition', () => {
  assert.deepEqual(emittedNames('jobs_total', 'counter'), ['jobs', 'jobs_total'])
  assert.deepEqual(emittedNames('lat', 'histogram'), ['lat', 'lat_bucket', 'lat_sum', 'lat_count'])
  assert.deepEqual(emittedNames('depth', 'gauge'), ['depth'])
})
