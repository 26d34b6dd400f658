/**
 * @module viewer/store.test
 * The store stays within its limits: push three times the limit of traces, logs and metric points
 * and the sizes, the indexes and the heap stay where the limit puts them. And within its byte
 * budget: counts alone let 40 requests of 15 MB hold 808 MB (no cap on attributes, events or key
 * length, and an 8 KB cut of a long string kept the whole string alive).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { newNormaliseCounters } from './counters.js'
import { DEFAULT_LIMITS } from './limits.js'
import type { ViewerLog, ViewerSpan } from './model.js'
import { normaliseTraces } from './normalise.js'
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

  it('stays within its byte budget, evicting the oldest of spans and log records, and counts it', () => {
    const maxBytes = 8 * 1024 * 1024
    const store = new Store({ maxBytes, maxTraces: 100_000, maxLogs: 100_000 })
    const before = heapAfterGc()
    store.addLogs([log(-1)])
    for (let i = 0; i < 4000; i++) {
      const big = span(i)
      for (let j = 0; j < 8; j++) big.attributes[`blob.${j}`] = `${i}:${j}:${'z'.repeat(1000)}`
      store.addSpans([big])
    }
    const held = heapAfterGc() - before
    assert.ok(store.size.bytes <= maxBytes, `${store.size.bytes} bytes counted`)
    assert.ok(store.size.bytes > maxBytes * 0.9)
    assert.ok(held < maxBytes * 1.25, `heap grew ${held} bytes for a budget of ${maxBytes}`)
    assert.equal(store.size.logs, 0, 'the log record arrived first, so went first')
    assert.ok(store.counters.evictedForBytes > 3000)
    assert.equal(store.size.traces + store.counters.tracesEvicted, 4000)
    assert.ok(store.trace(span(3999).traceId), 'the newest trace is kept')
    assert.equal(store.trace(span(0).traceId), undefined)
  })

  it('caps attributes, events, keys and values per span, and counts what it cut', () => {
    const counters = newNormaliseCounters()
    const now = `${Date.now()}000000`
    const attributes: { key: string; value: Record<string, unknown> }[] = [
      { key: 'long.value', value: { stringValue: 'v'.repeat(100_000) } },
      { key: 'x'.repeat(10_000), value: { intValue: 1 } },
      ...Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } })),
    ]
    const events = Array.from({ length: 1000 }, (_, i) => ({ timeUnixNano: now, name: `e${i}`, attributes }))
    const [big] = normaliseTraces(
      {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'a'.repeat(32),
                    spanId: 'b'.repeat(16),
                    startTimeUnixNano: now,
                    endTimeUnixNano: now,
                    attributes,
                    events,
                  },
                ],
              },
            ],
          },
        ],
      },
      { limits: DEFAULT_LIMITS, counters },
    )
    assert.equal(Object.keys(big!.attributes).length, DEFAULT_LIMITS.maxAttributes)
    assert.equal(big!.events.length, DEFAULT_LIMITS.maxEvents)
    assert.equal(Object.keys(big!.events[0]!.attributes).length, DEFAULT_LIMITS.maxAttributes)
    assert.equal((big!.attributes['long.value'] as string).length, DEFAULT_LIMITS.maxValueLength + 1)
    assert.ok(Object.keys(big!.attributes).includes(`${'x'.repeat(DEFAULT_LIMITS.maxKeyLength)}…`))
    // 1,002 attributes on the span and on each of the 128 events kept: 874 dropped from each.
    assert.equal(counters.attributesDropped, 129 * (1002 - DEFAULT_LIMITS.maxAttributes))
    assert.equal(counters.eventsDropped, 1000 - DEFAULT_LIMITS.maxEvents)
    assert.equal(counters.keysTruncated, 129)
    assert.equal(counters.valuesTruncated, 129)
  })

  it('keeps only the cut of a long value, not the whole original string', () => {
    const store = new Store({})
    const before = heapAfterGc()
    for (let i = 0; i < 20; i++) {
      const now = `${Date.now()}000000`
      const value = `${i}${'q'.repeat(1024 * 1024)}`
      const spans = normaliseTraces({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: (i + 1).toString(16).padStart(32, '0'),
                    spanId: 'b'.repeat(16),
                    startTimeUnixNano: now,
                    attributes: [{ key: 'big', value: { stringValue: value } }],
                  },
                ],
              },
            ],
          },
        ],
      })
      store.addSpans(spans)
    }
    const held = heapAfterGc() - before
    assert.ok(held < 5 * 1024 * 1024, `20 cut values of 1 MB held ${held} bytes`)
  })
})

describe('store order', () => {
  it('lists traces newest first by start time, whatever order their spans arrived in', () => {
    const store = new Store()
    const now = Date.now()
    // Trace 2 started last but its span arrived first (a long request ending after a short one).
    store.addSpans([{ ...span(2), startMs: now - 100 }])
    store.addSpans([{ ...span(1), startMs: now - 5000 }])
    store.addSpans([{ ...span(3), startMs: now - 2000 }])
    assert.deepEqual(
      store.traces().map((t) => t.traceId.slice(-1)),
      ['2', '3', '1'],
    )
  })

  it('lists log records newest first by time, across one batch in any order', () => {
    const store = new Store()
    const log = (timeMs: number, body: string): Omit<ViewerLog, 'seq'> => ({
      timeMs,
      severityNumber: 9,
      level: 'info',
      body,
      service: 'api',
      traceId: '',
      spanId: '',
      requestId: '',
      attributes: {},
    })
    store.addLogs([log(3000, 'c'), log(1000, 'a'), log(2000, 'b')])
    assert.deepEqual(
      store.queryLogs().map((l) => l.body),
      ['c', 'b', 'a'],
    )
  })
})
