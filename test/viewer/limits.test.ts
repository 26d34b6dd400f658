/**
 * @module test/viewer/limits
 * Bad spans cost themselves only, and what the limits cut is visible in `GET /api/stats`. A
 * negative start time used to fail the whole batch (400, a TypeError from the golden signals),
 * and a span dated a year ahead blinded its route's golden signals for the window.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'
import { getJson } from './helpers.js'

const ns = (ms: number): string => `${Math.round(ms)}000000`
let nextId = 1

function span(start: unknown, end: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = nextId++
  return {
    traceId: id.toString(16).padStart(32, '0'),
    spanId: id.toString(16).padStart(16, '0'),
    name: 'GET /orders',
    kind: 2,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: [{ key: 'http.route', value: { stringValue: '/orders' } }],
    ...extra,
  }
}

interface Stats {
  size: { traces: number; bytes: number; services: number; routes: number }
  limits: { maxBytes: number; maxAttributes: number }
  counters: Record<string, number>
}

describe('viewer: per-span validation and visible limits', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  before(async () => {
    base = await viewer.listen()
  })
  after(() => viewer.close())

  async function post(service: string, spans: unknown[]): Promise<number> {
    const response = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeSpans: [{ spans }],
          },
        ],
      }),
    })
    await response.arrayBuffer()
    return response.status
  }

  async function orders(service: string): Promise<number | undefined> {
    const body = await getJson<{ services: { service: string; routes: { route: string; count: number }[] }[] }>(
      `${base}/api/services`,
    )
    return body.services.find((s) => s.service === service)?.routes.find((r) => r.route === '/orders')?.count
  }

  it('refuses a span with a negative, non-numeric or missing start alone, and clamps a bad end', async () => {
    const now = Date.now()
    const good = span(ns(now), ns(now + 7))
    const backwards = span(ns(now), ns(now - 1000))
    const status = await post('times', [
      span('-5000000', ns(now)),
      span(-5_000_000, ns(now)),
      span('soon', ns(now)),
      span({ nanos: 1 }, ns(now)),
      span(undefined, ns(now)),
      good,
      backwards,
      span(ns(now), 'later'),
    ])
    assert.equal(status, 200)
    const stats = await getJson<Stats>(`${base}/api/stats`)
    assert.equal(stats.counters.spansRejected, 5)
    assert.equal(stats.counters.spansClamped, 2)
    const detail = await getJson<{ durationMs: number }>(`${base}/api/traces/${backwards.traceId}`)
    assert.equal(detail.durationMs, 0)
    assert.equal((await getJson<{ durationMs: number }>(`${base}/api/traces/${good.traceId}`)).durationMs, 7)
    assert.equal(await orders('times'), 3)
  })

  it('keeps a future-dated span out of the golden signals, so current spans still count', async () => {
    const now = Date.now()
    const aYear = 365 * 24 * 3600 * 1000
    assert.equal(await post('future', [span(ns(now + aYear), ns(now + aYear + 5))]), 200)
    assert.equal(await post('future', [span(ns(now), ns(now + 5)), span(ns(now), ns(now + 5))]), 200)
    assert.equal(await orders('future'), 2)
    const stats = await getJson<Stats>(`${base}/api/stats`)
    assert.equal(stats.counters.futureSpans, 1)
    assert.equal(stats.size.traces >= 3, true, 'the future-dated span itself is kept')
  })

  it('reports the caps it applied, and the bytes held against the budget, in /api/stats', async () => {
    const now = Date.now()
    const attributes = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v' } }))
    assert.equal(await post('wide', [span(ns(now), ns(now + 1), { attributes })]), 200)
    const stats = await getJson<Stats>(`${base}/api/stats`)
    assert.equal(stats.counters.attributesDropped, 500 - stats.limits.maxAttributes)
    assert.equal(stats.limits.maxBytes, 256 * 1024 * 1024)
    assert.ok(stats.size.bytes > 0 && stats.size.bytes < stats.limits.maxBytes)
    assert.ok(stats.size.services >= 3)
  })
})
