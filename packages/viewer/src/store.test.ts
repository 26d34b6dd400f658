/**
 * @module viewer/store.test
 * The store stays within its limits: push three times the limit of traces, logs and metric points
 * and the sizes, the indexes and the heap stay where the limit puts them.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { ViewerLog, ViewerSpan } from './model.js'
import { Store } from './store.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function span(i: number): ViewerSpan {
  return {
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: 'GET /items/:id',
    kind: 2,
    service: `svc-${i % 3}`,
    startMs: Date.now(),
    durationMs: 1 + (i % 50),
    statusCode: 0,
    statusMessage: '',
    attributes: { 'http.route': '/items/:id', request_id: `req-${i}`, payload: 'x'.repeat(200) },
    events: [],
    route: '/items/:id',
    httpStatus: 200,
    requestId: `req-${i}`,
  }
}

function log(i: number): Omit<ViewerLog, 'seq'> {
  return {
    timeMs: Date.now(),
    severityNumber: 9,
    level: 'info',
    body: `line ${i} ${'y'.repeat(200)}`,
    service: 'svc',
    traceId: i.toString(16).padStart(32, '0'),
    spanId: '',
    requestId: `req-${i}`,
    attributes: {},
  }
}

function heapAfterGc(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

describe('viewer store bounds', () => {
  it('keeps at most maxTraces traces, evicting the oldest and its request-id index entries', () => {
    const limit = 1000
    const store = new Store({ maxTraces: limit })
    for (let i = 0; i < 3 * limit; i++) store.addSpans([span(i)])
    assert.equal(store.size.traces, limit)
    assert.equal(store.counters.tracesEvicted, 2 * limit)
    assert.equal(store.trace(span(0).traceId), undefined)
    assert.ok(store.trace(span(3 * limit - 1).traceId))
    assert.deepEqual(store.traces({ q: 'req-5' }), [])
    assert.equal(store.traces({ q: `req-${3 * limit - 1}` }).length, 1)
    assert.equal(store.traces({ limit: 5000 }).length, limit)
  })

  it('keeps at most maxLogs log records and unindexes the evicted ones', () => {
    const limit = 1000
    const store = new Store({ maxLogs: limit })
    for (let i = 0; i < 3 * limit; i++) store.addLogs([log(i)])
    assert.equal(store.size.logs, limit)
    assert.deepEqual(store.queryLogs({ requestId: 'req-5' }), [])
    assert.equal(store.queryLogs({ requestId: `req-${3 * limit - 1}` }).length, 1)
    assert.equal(store.queryLogs({ limit: 2000 }).length, limit)
  })

  it('keeps at most maxMetricPoints points', () => {
    const store = new Store({ maxMetricPoints: 100 })
    for (let i = 0; i < 300; i++) {
      store.addMetricPoints([
        { name: 'm', service: 's', type: 'sum', unit: '', timeMs: i, value: i, count: 1, attributes: {} },
      ])
    }
    assert.equal(store.size.metricPoints, 100)
    assert.equal(store.queryMetrics({ limit: 1000 })[0]?.value, 299)
  })

  it('does not grow the heap past what the limits hold', () => {
    const limit = 5000
    const store = new Store({ maxTraces: limit, maxLogs: limit })
    const before = heapAfterGc()
    let i = 0
    for (; i < limit; i++) {
      store.addSpans([span(i)])
      store.addLogs([log(i)])
    }
    const full = heapAfterGc()
    for (; i < 3 * limit; i++) {
      store.addSpans([span(i)])
      store.addLogs([log(i)])
    }
    const after = heapAfterGc()
    const heldByLimit = full - before
    assert.ok(heldByLimit > 0)
    // Two more limits' worth pushed: the heap grows by well under what another full store would take.
    assert.ok(after - full < heldByLimit * 0.25, `grew ${after - full} bytes after filling ${heldByLimit}`)
    assert.equal(store.size.traces, limit)
    assert.equal(store.size.logs, limit)
  })

  it('counts server spans without a route under "unmatched", not one pseudo-route per method', () => {
    const store = new Store({})
    const unmatched = ['GET', 'DELETE', '_OTHER'].map((name, i) => ({ ...span(i), name, route: '', attributes: {} }))
    const named = { ...span(9), name: 'GET /legacy', route: '', attributes: {} }
    store.addSpans([...unmatched, named, span(10)])
    const routes = store.stats
      .summary(Date.now())
      .flatMap((service) => service.routes.map((route) => `${service.service} ${route.route} ${route.count}`))
      .sort()
    assert.deepEqual(routes, [
      'svc-0 GET /legacy 1',
      'svc-0 unmatched 1',
      'svc-1 /items/:id 1',
      'svc-1 unmatched 1',
      'svc-2 unmatched 1',
    ])
  })

  it('validates limits once, at construction', () => {
    assert.throws(() => new Store({ maxTraces: 0 }), TypeError)
  })
})
