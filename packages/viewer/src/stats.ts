/**
 * @module viewer/stats
 * Golden signals per service and route, computed from server spans as they arrive: request rate,
 * error ratio and latency percentiles over the last 15 minutes, in 10-second buckets for the charts.
 * Bounded: a fixed number of buckets per route, a sample cap per bucket, and caps on services,
 * on routes per service and on routes overall. Past the service cap the least recently seen
 * service is evicted (one entry per distinct `service.name` once took 2.9 GB for 120,000 names).
 * Past a route cap, the least recently seen route is evicted if it has been idle for the whole
 * window (it holds nothing the page shows); otherwise the new route is counted under
 * `(other routes)`, so a burst of distinct span names cannot push out the routes in use and the
 * service's totals stay right.
 */
import { KNOWN_METHODS, OTHER_METHOD, UNMATCHED_ROUTE } from 'sightline/names'
import type { StoreCounters } from './counters.js'
import type { StoreLimits } from './limits.js'
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
const WINDOW_MS = BUCKET_MS * WINDOW_BUCKETS
/**
 * How far past now a span may start and still be counted. A span dated later would claim a
 * bucket slot ahead of the clock, and every current span landing in that slot would then be
 * taken for one older than the window and ignored: one span could blind a route for 15 minutes.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000
/** Durations kept per bucket for percentiles; past it, reservoir sampling keeps a fair sample. */
const SAMPLES_PER_BUCKET = 256
const OTHER_ROUTE = '(other routes)'

interface Bucket {
  index: number
  /** Requests the spans stand for: each span counts 1 / its sampling probability. */
  count: number
  errors: number
  /** Spans received, and of them those that carried a sampling probability. */
  spans: number
  weightedSpans: number
  durations: number[]
}

interface RouteStats {
  service: string
  route: string
  buckets: Bucket[]
  firstSeenMs: number
  lastSeenMs: number
}

interface ServiceEntry {
  /** Routes, least recently seen first (re-inserted on every span). */
  routes: Map<string, RouteStats>
  /** Where routes past a cap are counted; outside the caps, at most one per service. */
  other: RouteStats | undefined
}

type StatsLimits = Pick<StoreLimits, 'maxServices' | 'maxRoutes' | 'maxRoutesPerService'>
type StatsCounters = Pick<StoreCounters, 'futureSpans' | 'servicesEvicted' | 'routesEvicted'>

export interface RouteSummary {
  service: string
  route: string
  /** Requests in the window, each span weighted by 1 / its sampling probability. */
  count: number
  /** Spans received in the window, and of them those that carried a sampling probability. */
  spans: number
  weightedSpans: number
  /** Requests per second over the window, or since the route was first seen when that is shorter (at least a minute). */
  rate: number
  /** Set to `metrics` when count, rate and error ratio come from `http.server.request.duration` (and `mixed` for a service). */
  source?: 'spans' | 'metrics' | 'mixed'
  errorRatio: number
  p50: number
  p95: number
  p99: number
  /** One point per bucket, oldest first: start time, requests/s, error ratio, p50, p95, p99 (ms). */
  series: { t: number[]; rate: number[]; errorRatio: number[]; p50: number[]; p95: number[]; p99: number[] }
}

/** A service's signals: its routes merged (percentiles from the routes' kept samples together). */
export interface ServiceSummary extends Omit<RouteSummary, 'route'> {
  routes: RouteSummary[]
}

/**
 * @example
 * const stats = new ServiceStats(DEFAULT_LIMITS, newStoreCounters()); stats.record(span, Date.now())
 */
export class ServiceStats {
  /** Services, least recently seen first (re-inserted on every span): the first is the next to evict. */
  private readonly services = new Map<string, ServiceEntry>()
  /** Every kept route of every service, least recently seen first, with its service: for the overall cap. */
  private readonly allRoutes = new Map<RouteStats, ServiceEntry>()

  constructor(
    private readonly limits: StatsLimits,
    private readonly counters: StatsCounters,
  ) {}

  record(span: ViewerSpan, nowMs: number): void {
    // Every service is listed, one that only sent client spans too.
    const service = this.touchService(span.service)
    if (span.kind !== SPAN_KIND_SERVER) return
    // The normaliser refuses such spans; spans added from code may still carry one.
    if (!Number.isFinite(span.startMs) || span.startMs < 0) return
    if (span.startMs > nowMs + MAX_CLOCK_SKEW_MS) {
      this.counters.futureSpans++
      return
    }
    const stats = this.routeStats(service, span.service, routeOf(span), nowMs)
    const index = Math.floor(span.startMs / BUCKET_MS)
    const bucket = stats.buckets[index % WINDOW_BUCKETS]!
    if (bucket.index !== index) {
      if (bucket.index > index) return // older than the window
      bucket.index = index
      bucket.count = 0
      bucket.errors = 0
      bucket.spans = 0
      bucket.weightedSpans = 0
      bucket.durations.length = 0
    }
    // A sampled span stands for 1 / p requests (p from its tracestate), so rates and counts are those
    // of the traffic, not of what was kept; the error ratio is a ratio of weighted counts too.
    const weight = span.weight !== undefined && Number.isFinite(span.weight) && span.weight >= 1 ? span.weight : 1
    bucket.count += weight
    bucket.spans++
    if (span.weighted === true) bucket.weightedSpans++
    if (span.statusCode === STATUS_ERROR || span.httpStatus >= 500) bucket.errors += weight
    if (bucket.durations.length < SAMPLES_PER_BUCKET) bucket.durations.push(span.durationMs)
    else {
      const slot = Math.floor(Math.random() * bucket.spans)
      if (slot < SAMPLES_PER_BUCKET) bucket.durations[slot] = span.durationMs
    }
  }

  /** How many services and routes are tracked (the `(other routes)` entries included). */
  get size(): { services: number; routes: number } {
    let others = 0
    for (const entry of this.services.values()) if (entry.other !== undefined) others++
    return { services: this.services.size, routes: this.allRoutes.size + others }
  }

  summary(nowMs: number): ServiceSummary[] {
    const last = Math.floor(nowMs / BUCKET_MS)
    const first = last - WINDOW_BUCKETS + 1
    const out: ServiceSummary[] = []
    for (const [name, entry] of this.services) {
      const routes = entry.other === undefined ? [...entry.routes.values()] : [...entry.routes.values(), entry.other]
      const service: ServiceSummary =
        routes.length === 0
          ? emptyService(name)
          : { service: name, ...summariseBuckets(routes, first, last, nowMs), routes: [] }
      for (const stats of routes) service.routes.push(summariseRoute(stats, first, last, nowMs))
      service.routes.sort((a, b) => b.count - a.count || a.route.localeCompare(b.route))
      out.push(service)
    }
    return out.sort((a, b) => a.service.localeCompare(b.service))
  }

  private touchService(name: string): ServiceEntry {
    let entry = this.services.get(name)
    if (entry !== undefined) {
      this.services.delete(name)
      this.services.set(name, entry)
      return entry
    }
    entry = { routes: new Map(), other: undefined }
    this.services.set(name, entry)
    if (this.services.size > this.limits.maxServices) this.evictOldestService()
    return entry
  }

  private evictOldestService(): void {
    const [name, entry] = this.services.entries().next().value as [string, ServiceEntry]
    for (const stats of entry.routes.values()) this.allRoutes.delete(stats)
    this.services.delete(name)
    this.counters.servicesEvicted++
  }

  private routeStats(entry: ServiceEntry, service: string, route: string, nowMs: number): RouteStats {
    let stats = entry.routes.get(route)
    if (stats !== undefined) {
      entry.routes.delete(route)
      entry.routes.set(route, stats)
      this.allRoutes.delete(stats)
      this.allRoutes.set(stats, entry)
      stats.lastSeenMs = nowMs
      return stats
    }
    const full =
      (entry.routes.size >= this.limits.maxRoutesPerService &&
        !this.evictIfIdle(entry.routes.values().next().value as RouteStats, nowMs)) ||
      (this.allRoutes.size >= this.limits.maxRoutes &&
        !this.evictIfIdle(this.allRoutes.keys().next().value as RouteStats, nowMs))
    if (full) return (entry.other ??= newRoute(service, OTHER_ROUTE, nowMs))
    stats = newRoute(service, route, nowMs)
    entry.routes.set(route, stats)
    this.allRoutes.set(stats, entry)
    return stats
  }

  /** Evicts a route that has seen nothing for the whole window; false (and kept) when it is still in use. */
  private evictIfIdle(stats: RouteStats, nowMs: number): boolean {
    if (nowMs - stats.lastSeenMs < WINDOW_MS) return false
    this.allRoutes.get(stats)?.routes.delete(stats.route)
    this.allRoutes.delete(stats)
    this.counters.routesEvicted++
    return true
  }
}

function newRoute(service: string, route: string, nowMs: number): RouteStats {
  return {
    service,
    route,
    firstSeenMs: nowMs,
    lastSeenMs: nowMs,
    buckets: Array.from({ length: WINDOW_BUCKETS }, () => ({
      index: -1,
      count: 0,
      errors: 0,
      spans: 0,
      weightedSpans: 0,
      durations: [],
    })),
  }
}

function emptyService(service: string): ServiceSummary {
  const series = { t: [], rate: [], errorRatio: [], p50: [], p95: [], p99: [] }
  return {
    service,
    count: 0,
    spans: 0,
    weightedSpans: 0,
    rate: 0,
    errorRatio: 0,
    p50: 0,
    p95: 0,
    p99: 0,
    series,
    routes: [],
  }
}

/** The shortest span of time a rate is taken over: a route seen seconds ago is not at 100 req/s for one request. */
const MIN_RATE_WINDOW_MS = 60_000

function summariseRoute(stats: RouteStats, first: number, last: number, nowMs: number): RouteSummary {
  return { service: stats.service, route: stats.route, ...summariseBuckets([stats], first, last, nowMs) }
}

type Signals = Omit<RouteSummary, 'service' | 'route'>

/** The golden signals of one route, or of a service's routes merged bucket by bucket. */
function summariseBuckets(routes: readonly RouteStats[], first: number, last: number, nowMs: number): Signals {
  const series: RouteSummary['series'] = { t: [], rate: [], errorRatio: [], p50: [], p95: [], p99: [] }
  const all: number[] = []
  let count = 0
  let errors = 0
  let spans = 0
  let weightedSpans = 0
  for (let index = first; index <= last; index++) {
    let n = 0
    let bucketErrors = 0
    const durations: number[] = []
    for (const stats of routes) {
      const bucket = stats.buckets[index % WINDOW_BUCKETS]!
      if (bucket.index !== index) continue
      n += bucket.count
      bucketErrors += bucket.errors
      spans += bucket.spans
      weightedSpans += bucket.weightedSpans
      for (const d of bucket.durations) durations.push(d)
    }
    durations.sort((a, b) => a - b)
    series.t.push(index * BUCKET_MS)
    series.rate.push(n / (BUCKET_MS / 1000))
    series.errorRatio.push(n === 0 ? 0 : bucketErrors / n)
    series.p50.push(quantile(durations, 0.5))
    series.p95.push(quantile(durations, 0.95))
    series.p99.push(quantile(durations, 0.99))
    count += n
    errors += bucketErrors
    for (const d of durations) all.push(d)
  }
  all.sort((a, b) => a - b)
  // Over the window, or since the route was first seen when that is shorter: a service started two
  // minutes ago is not diluted over fifteen.
  const firstSeen = Math.min(...routes.map((r) => r.firstSeenMs))
  const windowMs = Math.min(WINDOW_MS, Math.max(MIN_RATE_WINDOW_MS, nowMs - firstSeen))
  return {
    count,
    spans,
    weightedSpans,
    rate: count / (windowMs / 1000),
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
