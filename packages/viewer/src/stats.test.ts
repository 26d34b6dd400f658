/**
 * @module viewer/stats.test
 * Golden signals stay bounded, whatever names arrive: 120,000 distinct service names once took the
 * viewer to 2.9 GB and `/api/services` to 298 MB in 8.9 s, as every name got its own entry. And a
 * span dated in the future no longer blinds its route.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newStoreCounters } from './counters.js'
import { DEFAULT_LIMITS, type StoreLimits } from './limits.js'
import type { ViewerSpan } from './model.js'
import { MAX_CLOCK_SKEW_MS, ServiceStats } from './stats.js'

const NOW = Date.UTC(2026, 0, 1, 12)
const MINUTE = 60_000

function serverSpan(service: string, route: string, startMs = NOW): ViewerSpan {
  return {
    traceId: '1'.repeat(32),
    spanId: '1'.repeat(16),
    parentSpanId: '',
    name: `GET ${route}`,
    kind: 2,
    service,
    startMs,
    durationMs: 5,
    statusCode: 0,
    statusMessage: '',
    attributes: {},
    events: [],
    route,
    httpStatus: 200,
    requestId: '',
  }
}

function statsWith(limits: Partial<StoreLimits>) {
  const counters = newStoreCounters()
  return { stats: new ServiceStats({ ...DEFAULT_LIMITS, ...limits }, counters), counters }
}

function routeCounts(stats: ServiceStats, nowMs = NOW): Record<string, number> {
  const out: Record<string, number> = {}
  for (const service of stats.summary(nowMs)) for (const route of service.routes) out[route.route] = route.count
  return out
}

describe('viewer golden signals: bounds', () => {
  it('keeps at most maxServices services, evicting the least recently seen', () => {
    const { stats, counters } = statsWith({ maxServices: 100 })
    stats.record(serverSpan('kept', '/a'), NOW)
    for (let i = 0; i < 20_000; i++) {
      stats.record(serverSpan(`svc-${i}`, '/a'), NOW)
      if (i % 50 === 0) stats.record(serverSpan('kept', '/a'), NOW) // seen again: stays
    }
    assert.equal(stats.size.services, 100)
    assert.equal(counters.servicesEvicted, 20_001 - 100)
    const names = stats.summary(NOW).map((service) => service.service)
    assert.ok(names.includes('kept'))
    assert.ok(names.includes('svc-19999'))
    assert.ok(!names.includes('svc-0'))
    assert.ok(JSON.stringify(stats.summary(NOW)).length < 2_000_000)
  })

  it('counts routes past the per-service cap under "(other routes)", keeping the totals', () => {
    const { stats } = statsWith({ maxRoutesPerService: 10 })
    for (let i = 0; i < 1000; i++) stats.record(serverSpan('api', `/r/${i}`), NOW)
    const [service] = stats.summary(NOW)
    assert.equal(service!.routes.length, 11)
    assert.equal(service!.count, 1000)
    assert.equal(routeCounts(stats)['(other routes)'], 990)
  })

  it('evicts a route idle for the whole window to make room, and counts it', () => {
    const { stats, counters } = statsWith({ maxRoutesPerService: 2, maxRoutes: 3 })
    stats.record(serverSpan('api', '/old'), NOW)
    stats.record(serverSpan('api', '/busy'), NOW + 15 * MINUTE)
    const later = NOW + 16 * MINUTE
    stats.record(serverSpan('api', '/new', later), later)
    assert.deepEqual(Object.keys(routeCounts(stats, later)).sort(), ['/busy', '/new'])
    assert.equal(counters.routesEvicted, 1)
    // The overall cap: another service's new route takes the place of an idle one, else shares "(other routes)".
    stats.record(serverSpan('web', '/home', later), later)
    stats.record(serverSpan('web', '/about', later), later)
    assert.equal(stats.size.routes, 4) // three kept routes and web's "(other routes)"
  })

  it('does not let a future-dated span blind its route, and counts it', () => {
    const { stats, counters } = statsWith({})
    stats.record(serverSpan('api', '/r', NOW + 365 * 24 * 60 * MINUTE), NOW)
    stats.record(serverSpan('api', '/r', NOW + MAX_CLOCK_SKEW_MS + 1), NOW)
    stats.record(serverSpan('api', '/r'), NOW)
    stats.record(serverSpan('api', '/r'), NOW)
    assert.equal(routeCounts(stats)['/r'], 2)
    assert.equal(counters.futureSpans, 2)
  })

  it('ignores a span with a negative or non-finite start instead of throwing', () => {
    const { stats } = statsWith({})
    for (const startMs of [-5, Number.NaN, Number.POSITIVE_INFINITY])
      stats.record(serverSpan('api', '/r', startMs), NOW)
    stats.record(serverSpan('api', '/r'), NOW)
    assert.equal(routeCounts(stats)['/r'], 1)
  })
})
