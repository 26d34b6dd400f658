/**
 * @module viewer/golden-metrics
 * Golden signals from received metrics, when a service exports them: the request-duration
 * histogram of the HTTP semantic conventions (`http.server.request.duration`, by `http.route` and
 * `http.response.status_code`) counts every request, sampled or not, so where it is present the
 * services page takes a route's request count, rate and error ratio from it rather than from spans.
 */

import { increments } from './metrics-view.js'
import type { ViewerMetricPoint } from './model.js'
import type { ServiceSummary } from './stats.js'
import { seriesKey } from './store.js'

export const REQUEST_DURATION_METRIC = 'http.server.request.duration'
const WINDOW_MS = 15 * 60_000
const MIN_WINDOW_MS = 60_000

interface RouteCounts {
  count: number
  errors: number
  firstMs: number
}

/** Requests and 5xx per service and route over the last 15 minutes, from the histogram's count increases. */
export function requestCounts(
  points: readonly ViewerMetricPoint[],
  nowMs: number,
): Map<string, Map<string, RouteCounts>> {
  const series = new Map<string, ViewerMetricPoint[]>()
  for (const point of points) {
    if (point.name !== REQUEST_DURATION_METRIC || point.type !== 'histogram') continue
    const key = seriesKey(point)
    const list = series.get(key)
    if (list === undefined) series.set(key, [point])
    else list.push(point)
  }
  const out = new Map<string, Map<string, RouteCounts>>()
  for (const list of series.values()) {
    list.sort((a, b) => a.timeMs - b.timeMs)
    const first = list[0]!
    const route = String(first.attributes['http.route'] ?? '')
    if (route === '') continue
    const status = Number(first.attributes['http.response.status_code'] ?? 0)
    let routes = out.get(first.service)
    if (routes === undefined) out.set(first.service, (routes = new Map()))
    let counts = routes.get(route)
    if (counts === undefined) routes.set(route, (counts = { count: 0, errors: 0, firstMs: Number.POSITIVE_INFINITY }))
    for (const increment of increments(list, 'histogram')) {
      if (increment.t < nowMs - WINDOW_MS || increment.t > nowMs + 60_000) continue
      counts.count += increment.value
      if (status >= 500) counts.errors += increment.value
      counts.firstMs = Math.min(counts.firstMs, increment.t - increment.intervalMs)
    }
  }
  return out
}

/**
 * Replaces the span-based count, rate and error ratio of each route the metric covers (the
 * latency percentiles stay those of the spans), marks the route's `source`, and adds up the service.
 */
export function applyRequestMetrics(
  services: ServiceSummary[],
  counts: Map<string, Map<string, RouteCounts>>,
  nowMs: number,
): void {
  for (const service of services) {
    const routes = counts.get(service.service)
    if (routes === undefined) continue
    let changed = false
    for (const route of service.routes) {
      const found = routes.get(route.route)
      if (found === undefined || found.count === 0) continue
      const windowMs = Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS, nowMs - found.firstMs))
      route.count = found.count
      route.rate = found.count / (windowMs / 1000)
      route.errorRatio = found.errors / found.count
      route.source = 'metrics'
      changed = true
    }
    if (!changed) continue
    service.count = service.routes.reduce((a, r) => a + r.count, 0)
    service.rate = service.routes.reduce((a, r) => a + r.rate, 0)
    service.errorRatio =
      service.count === 0 ? 0 : service.routes.reduce((a, r) => a + r.errorRatio * r.count, 0) / service.count
    service.source = service.routes.every((r) => r.source === 'metrics' || r.count === 0) ? 'metrics' : 'mixed'
  }
}
