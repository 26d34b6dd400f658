/**
 * @module core/objectives.test
 * Service-level objective declarations: a valid one comes back with its defaults; every mistake is
 * a SIGHTLINE_ERR_SLO_DECLARATION naming the file, the key and what is allowed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HTTP_DURATION_BUCKETS } from './constants.js'
import { errorBudget, parseObjectives, windowDays } from './objectives.js'

const availability = { name: 'payments', sli: 'availability', route: '/api/payments', objective: 99.9, window: '30d' }
const latency = { name: 'reads', sli: 'latency', method: 'GET', thresholdSeconds: 0.25, objective: 99, window: '28d' }

function refused(value: unknown, message: RegExp): void {
  assert.throws(() => parseObjectives(value, 'slo.yaml'), { code: 'SIGHTLINE_ERR_SLO_DECLARATION', message })
}

test('a valid declaration: the default buckets, each objective as declared', () => {
  const parsed = parseObjectives({ service: 'api', objectives: [availability, latency] }, 'slo.yaml')
  assert.equal(parsed.service, 'api')
  assert.deepEqual(parsed.buckets, HTTP_DURATION_BUCKETS)
  assert.deepEqual(parsed.objectives, [availability, latency])
  assert.equal(errorBudget(availability as never), 0.001)
  assert.equal(errorBudget(latency as never), 0.01)
  assert.equal(windowDays('30d'), 30)
})

test('unknown keys are refused, naming the known ones', () => {
  refused(
    { service: 'api', objectives: [availability], slos: [] },
    /^slo\.yaml: the declaration has an unknown key "slos" \(known: service, buckets, objectives\)$/,
  )
  refused(
    { service: 'api', objectives: [{ ...latency, treshold: 0.5 }] },
    /^slo\.yaml: objectives\[0\] has an unknown key "treshold" \(known: name, sli, route, method, objective, window, thresholdSeconds, description\)$/,
  )
})

test('an objective outside (0, 100) is refused', () => {
  for (const objective of [0, 100, 100.5, -1, '99.9']) {
    refused(
      { service: 'api', objectives: [{ ...availability, objective }] },
      /objectives\[0\]\.objective must be a percentage strictly between 0 and 100/,
    )
  }
})

test('a latency threshold that is not a bucket bound names the buckets that exist', () => {
  refused(
    { service: 'api', objectives: [{ ...latency, thresholdSeconds: 0.3 }] },
    /objectives\[0\]\.thresholdSeconds must be one of the request-duration histogram's bucket bounds \(0\.005, 0\.01, 0\.025, 0\.05, 0\.075, 0\.1, 0\.25, 0\.5, 0\.75, 1, 2\.5, 5, 7\.5, 10\), received 0\.3/,
  )
  refused({ service: 'api', objectives: [{ ...latency, thresholdSeconds: undefined }] }, /received nothing/)
  // The service's own buckets, when it configured httpBuckets.
  refused(
    { service: 'api', buckets: [0.1, 0.3, 1], objectives: [latency] },
    /bucket bounds \(0\.1, 0\.3, 1\), received 0\.25/,
  )
  const own = parseObjectives({
    service: 'api',
    buckets: [0.1, 0.3],
    objectives: [{ ...latency, thresholdSeconds: 0.3 }],
  })
  assert.deepEqual(own.buckets, [0.1, 0.3])
  refused(
    { service: 'api', objectives: [{ ...availability, thresholdSeconds: 0.25 }] },
    /is for latency objectives only/,
  )
})

test('windows, names, sli kinds, routes and duplicates', () => {
  refused(
    { service: 'api', objectives: [{ ...availability, window: '720h' }] },
    /window must be whole days from 3d to 366d, received "720h"/,
  )
  refused({ service: 'api', objectives: [{ ...availability, window: '1d' }] }, /window must be whole days/)
  refused({ service: 'api', objectives: [{ ...availability, name: 'Payments API' }] }, /name must match/)
  refused(
    { service: 'api', objectives: [{ ...availability, sli: 'errors' }] },
    /sli must be "availability" or "latency", received "errors"/,
  )
  refused({ service: 'api', objectives: [{ ...availability, route: 'api/payments' }] }, /route must match/)
  refused({ service: 'api', objectives: [availability, availability] }, /name "payments" is declared twice/)
  refused({ service: 'api', objectives: [] }, /objectives must be a non-empty list/)
  refused({ objectives: [availability] }, /service must be a non-empty string, received nothing/)
  refused('service: api', /the declaration must be a mapping/)
  refused(
    { service: 'api', buckets: [1, 0.5], objectives: [availability] },
    /buckets must be the histogram bucket bounds/,
  )
})
