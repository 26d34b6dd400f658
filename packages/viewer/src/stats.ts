/**
 * @module viewer/stats
 * Golden signals per service and route, computed from server spans as they arrive: request rate,
 * error ratio and latency percentiles over the last 15 minutes, in 10-second buckets for the charts.
 * Bounded: a fixed number of buckets per route, a sample cap per bucket, a cap on routes.
 */
import { KNOWN_METHODS, OTHER_METHOD, UNMATCHED_ROUTE } from 'sightline/names'
import { SPAN_KIND_SERVER, STATUS_ERROR, type ViewerSpan } from './model.js'

/** Span names that are a method alone: a server span without a route is named so (semantic conventions). */
const METHOD_ONLY_NAMES = new Set<string>([...KNOWN_METHODS, OTHER_METHOD])

/**
 * The route a server span is counted under: its `http.route`, else its name, unless the name is a
 * method alone (a request that matched no route), which goes under `unmatched`, as on /metrics.
 */
function routeOf(span: ViewerSpan): string {
  if (span.route !== '') return span.route
  return METHOD_ONLY_NAMES.has(span.name) ? UNMATCHED_ROUTE : span.name
}

export const BUCKET_MS = 10_000
export const WINDOW_BUCKETS = 90
/** Durations kept per bucket for percentiles; past it, reservoir sampling keeps a fair sample. */
const SAMPLES_PER_BUCKET = 256
const OTHER_ROUTE = '(other routes)'

interface Bucket {
  index: number
  count: number
  errors: number
  durations: number[]
}

interface RouteStats {
  service: string
  route: string
  buckets: Bucket[]
}

export interface RouteSummary {
  service: string
  route: string
  count: number
  /** Requests per second over the window. */
  rate: number
  errorRatio: number
  p50: number
  p95: number
  p99: number
  /** One point per bucket, oldest first: start time, requests/s, error ratio, p50, p95, p99 (ms). */
  series: { t: number[]; rate: number[]; errorRatio: number[]; p50: number[]; p95: number[]; p99: number[] }
}

export interface ServiceSummary {
  service: string
  count: number
  rate: number
  errorRatio: number
  routes: RouteSummary[]
}

/**
 * @example
 * const stats = new ServiceStats(500); stats.record(span); stats.summary(Date.now())
 */
export class ServiceStats {
  private readonly routes = new Map<string, RouteStats>()
  /** Every service seen, so the page lists one that only sent client spans too. */
  private readonly services = new Set<string>()

  constructor(private readonly maxRoutes: number) {}

  record(span: ViewerSpan): void {
    if (this.services.size < this.maxRoutes) this.services.add(span.service)
    if (span.kind !== SPAN_KIND_SERVER) return
    const stats = this.routeStats(span.service, routeOf(span))
    const index = Math.floor(span.startMs / BUCKET_MS)
    const bucket = stats.buckets[index % WINDOW_BUCKETS]!
    if (bucket.index !== index) {
      if (bucket.index > index) return // older than the window
      bucket.index = index
      bucket.count = 0
      bucket.errors = 0
      bucket.durations.length = 0
    }
    bucket.count++
    if (span.statusCode === STATUS_ERROR || span.httpStatus >= 500) bucket.errors++
    if (bucket.durations.length < SAMPLES_PER_BUCKET) bucket.durations.push(span.durationMs)
    else {
      const slot = Math.floor(Math.random() * bucket.count)
      if (slot < SAMPLES_PER_BUCKET) bucket.durations[slot] = span.durationMs
    }
  }

  summary(nowMs: number): ServiceSummary[] {
    const last = Math.floor(nowMs / BUCKET_MS)
    const first = last - WINDOW_BUCKETS + 1
    const byService = new Map<string, ServiceSummary>()
    for (const service of this.services) byService.set(service, emptyService(service))
    for (const stats of this.routes.values()) {
      const route = summariseRoute(stats, first, last)
      const service = byService.get(stats.service) ?? emptyService(stats.service)
      byService.set(stats.service, service)
      service.routes.push(route)
      service.count += route.count
      service.errorRatio += route.errorRatio * route.count
    }
    const windowSeconds = (WINDOW_BUCKETS * BUCKET_MS) / 1000
    for (const service of byService.values()) {
      service.rate = service.count / windowSeconds
      service.errorRatio = service.count === 0 ? 0 : service.errorRatio / service.count
      service.routes.sort((a, b) => b.count - a.count || a.route.localeCompare(b.route))
    }
    return [...byService.values()].sort((a, b) => a.service.localeCompare(b.service))
  }

  private routeStats(service: string, route: string): RouteStats {
    let key = `${service}\u0000${route}`
    let stats = this.routes.get(key)
    if (stats !== undefined) return stats
    if (this.routes.size >= this.maxRoutes) {
      route = OTHER_ROUTE
      key = `${service}\u0000${route}`
      stats = this.routes.get(key)
      if (stats !== undefined) return stats
    }
    stats = {
      service,
      route,
      buckets: Array.from({ length: WINDOW_BUCKETS }, () => ({ index: -1, count: 0, errors: 0, durations: [] })),
    }
    this.routes.set(key, stats)
    return stats
  }
}

function emptyService(service: string): ServiceSummary {
  return { service, count: 0, rate: 0, errorRatio: 0, routes: [] }
}

function summariseRoute(stats: RouteStats, first: number, last: number): RouteSummary {
  const series: RouteSummary['series'] = { t: [], rate: [], errorRatio: [], p50: [], p95: [], p99: [] }
  const all: number[] = []
  let count = 0
  let errors = 0
  for (let index = first; index <= last; index++) {
    const bucket = stats.buckets[index % WINDOW_BUCKETS]!
    const live = bucket.index === index
    const n = live ? bucket.count : 0
    const sorted = live ? [...bucket.durations].sort((a, b) => a - b) : []
    series.t.push(index * BUCKET_MS)
    series.rate.push(n / (BUCKET_MS / 1000))
    series.errorRatio.push(n === 0 ? 0 : bucket.errors / n)
    series.p50.push(quantile(sorted, 0.5))
    series.p95.push(quantile(sorted, 0.95))
    series.p99.push(quantile(sorted, 0.99))
    if (!live) continue
    count += n
    errors += bucket.errors
    for (const d of bucket.durations) all.push(d)
  }
  all.sort((a, b) => a - b)
  return {
    service: stats.service,
    route: stats.route,
    count,
    rate: count / ((WINDOW_BUCKETS * BUCKET_MS) / 1000),
    errorRatio: count === 0 ? 0 : errors / count,
    p50: quantile(all, 0.5),
    p95: quantile(all, 0.95),
    p99: quantile(all, 0.99),
    series,
  }
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
