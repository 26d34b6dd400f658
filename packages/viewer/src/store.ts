/**
 * @module viewer/store
 * The viewer's memory: bounded traces (oldest evicted first), a ring of log records and a ring of
 * metric points, with indexes by trace id, request id, service and route. Bounded by counts and by
 * an estimate of the bytes held: past the byte budget the oldest trace, log record or metric point
 * (whichever arrived first) is evicted, so a few huge requests cannot take the memory that
 * thousands of ordinary ones are allowed. Nothing here grows past the configured limits.
 */
import { newStoreCounters, type StoreCounters } from './counters.js'
import { ErrorGroups } from './errors.js'
import { DEFAULT_LIMITS, invalidLimit, type StoreLimits } from './limits.js'
import { STATUS_ERROR, type ViewerLog, type ViewerMetricPoint, type ViewerSpan } from './model.js'
import { Ring } from './ring.js'
import { logBytes, metricPointBytes, spanBytes, TRACE_BYTES } from './size.js'
import { ServiceStats } from './stats.js'

export { DEFAULT_LIMITS, type StoreLimits } from './limits.js'

/** One trace as the store keeps it. */
export interface StoredTrace {
  traceId: string
  spans: ViewerSpan[]
  startMs: number
  endMs: number
  services: Set<string>
  routes: Set<string>
  requestIds: Set<string>
  error: boolean
  /** Arrival order, shared with log records and metric points: what the byte budget evicts first. */
  arrival: number
  /** Estimated bytes held by the trace and its spans. */
  bytes: number
}

export interface TraceSummary {
  traceId: string
  name: string
  service: string
  services: string[]
  route: string
  httpStatus: number
  startMs: number
  durationMs: number
  spanCount: number
  error: boolean
  requestId: string
}

export interface TraceQuery {
  service?: string
  route?: string
  /** An HTTP status code (`404`) or class (`5xx`) of the trace's root span. */
  status?: string
  error?: boolean
  minDurationMs?: number
  /** A trace id or a request id. */
  q?: string
  limit?: number
}

export interface LogQuery {
  service?: string
  /** The lowest level shown (`warn` shows warn, error and fatal). */
  level?: string
  text?: string
  requestId?: string
  traceId?: string
  limit?: number
}

const LEVEL_RANK: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 }

/**
 * @example
 * const store = new Store({ maxTraces: 100 }); store.addSpans(spans); store.traces({ service: 'api' })
 */
export class Store {
  readonly limits: StoreLimits
  readonly stats: ServiceStats
  /** Errors grouped by fingerprint (viewer/errors), from the same spans and log records. */
  readonly errors: ErrorGroups
  /** Insertion order is age order: the first entry is the next to evict. */
  private readonly traceMap = new Map<string, StoredTrace>()
  private readonly byRequestId = new Map<string, Set<string>>()
  private readonly logs: Ring<ViewerLog>
  private readonly logsByTrace = new Map<string, ViewerLog[]>()
  private readonly logsByRequest = new Map<string, ViewerLog[]>()
  private readonly metrics: Ring<ViewerMetricPoint>
  /** The arrival of each kept metric point, in step with `metrics`. */
  private readonly metricArrivals: Ring<number>
  /** Points kept per metric series key, for the series cap. */
  private readonly seriesPoints = new Map<string, number>()
  private readonly pointSeries = new WeakMap<ViewerMetricPoint, string>()
  private arrival = 0
  private bytes = 0
  /** Counts of what was received and what the limits cut, dropped, rejected and evicted. */
  readonly counters: StoreCounters = newStoreCounters()

  constructor(limits: Partial<StoreLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
    const invalid = invalidLimit(this.limits as unknown as Record<string, unknown>)
    if (invalid !== undefined) throw new TypeError(`viewer limit ${invalid} must be a positive integer`)
    this.stats = new ServiceStats(this.limits, this.counters)
    this.errors = new ErrorGroups(this.counters)
    this.logs = new Ring(this.limits.maxLogs)
    this.metrics = new Ring(this.limits.maxMetricPoints)
    this.metricArrivals = new Ring(this.limits.maxMetricPoints)
  }

  get size(): { traces: number; logs: number; metricPoints: number; bytes: number } {
    return { traces: this.traceMap.size, logs: this.logs.size, metricPoints: this.metrics.size, bytes: this.bytes }
  }

  addSpans(spans: readonly ViewerSpan[], nowMs = Date.now()): void {
    for (const span of spans) {
      this.counters.spans++
      this.stats.record(span, nowMs)
      this.errors.addSpan(span)
      let trace = this.traceMap.get(span.traceId)
      if (trace === undefined) {
        trace = {
          traceId: span.traceId,
          spans: [],
          startMs: span.startMs,
          endMs: span.startMs + span.durationMs,
          services: new Set(),
          routes: new Set(),
          requestIds: new Set(),
          error: false,
          arrival: ++this.arrival,
          bytes: TRACE_BYTES,
        }
        this.traceMap.set(span.traceId, trace)
        this.bytes += TRACE_BYTES
        if (this.traceMap.size > this.limits.maxTraces) this.evictOldestTrace()
      }
      if (trace.spans.length >= this.limits.maxSpansPerTrace) {
        this.counters.spansDropped++
        continue
      }
      trace.spans.push(span)
      const bytes = spanBytes(span)
      trace.bytes += bytes
      this.bytes += bytes
      trace.startMs = Math.min(trace.startMs, span.startMs)
      trace.endMs = Math.max(trace.endMs, span.startMs + span.durationMs)
      trace.services.add(span.service)
      if (span.route !== '') trace.routes.add(span.route)
      if (span.statusCode === STATUS_ERROR || (span.kind === 2 && span.httpStatus >= 500)) trace.error = true
      if (span.requestId !== '' && !trace.requestIds.has(span.requestId)) {
        trace.requestIds.add(span.requestId)
        let ids = this.byRequestId.get(span.requestId)
        if (ids === undefined) this.byRequestId.set(span.requestId, (ids = new Set()))
        ids.add(span.traceId)
      }
      this.enforceByteBudget()
    }
  }

  addLogs(logs: readonly Omit<ViewerLog, 'seq'>[]): void {
    for (const input of logs) {
      this.counters.logs++
      const log = input as ViewerLog
      log.seq = ++this.arrival
      this.errors.addLog(log)
      this.bytes += logBytes(log)
      const evicted = this.logs.push(log)
      if (evicted !== undefined) this.forgetLog(evicted)
      index(this.logsByTrace, log.traceId, log)
      index(this.logsByRequest, log.requestId, log)
      this.enforceByteBudget()
    }
  }

  addMetricPoints(points: readonly ViewerMetricPoint[]): void {
    for (const point of points) {
      this.counters.metricPoints++
      const key = seriesKey(point)
      const kept = this.seriesPoints.get(key)
      if (kept === undefined && this.seriesPoints.size >= this.limits.maxMetricSeries) {
        this.counters.metricSeriesDropped++
        continue
      }
      this.seriesPoints.set(key, (kept ?? 0) + 1)
      this.pointSeries.set(point, key)
      this.bytes += metricPointBytes(point)
      const evicted = this.metrics.push(point)
      this.metricArrivals.push(++this.arrival)
      if (evicted !== undefined) this.forgetMetricPoint(evicted)
      this.enforceByteBudget()
    }
  }

  trace(traceId: string): StoredTrace | undefined {
    return this.traceMap.get(traceId.toLowerCase())
  }

  /** Newest first: by start time, so a trace whose spans arrived late is still listed where it began. */
  traces(query: TraceQuery = {}): TraceSummary[] {
    const limit = Math.min(query.limit ?? 100, 1000)
    const matching: StoredTrace[] = []
    for (const trace of this.candidates(query.q)) {
      if (query.service && !trace.services.has(query.service)) continue
      if (query.route && !trace.routes.has(query.route)) continue
      if (query.error === true && !trace.error) continue
      if (query.error === false && trace.error) continue
      if (query.minDurationMs !== undefined && trace.endMs - trace.startMs < query.minDurationMs) continue
      matching.push(trace)
    }
    matching.sort((a, b) => b.startMs - a.startMs || b.arrival - a.arrival)
    const out: TraceSummary[] = []
    for (const trace of matching) {
      if (out.length >= limit) break
      const summary = this.summary(trace)
      if (query.status && !statusMatches(summary.httpStatus, query.status)) continue
      out.push(summary)
    }
    return out
  }

  /** The list entry of a trace, its request id taken from its log lines when no span carries one. */
  summary(trace: StoredTrace): TraceSummary {
    const summary = summarise(trace)
    if (summary.requestId === '') {
      summary.requestId = this.logsByTrace.get(trace.traceId)?.find((log) => log.requestId !== '')?.requestId ?? ''
    }
    return summary
  }

  /** The log records of a trace: by its trace id, and by its request ids for lines written outside a span. */
  logsOfTrace(trace: StoredTrace): ViewerLog[] {
    const seen = new Map<number, ViewerLog>()
    for (const log of this.logsByTrace.get(trace.traceId) ?? []) seen.set(log.seq, log)
    const requestIds = new Set(trace.requestIds)
    for (const log of seen.values()) if (log.requestId !== '') requestIds.add(log.requestId)
    for (const requestId of requestIds) {
      for (const log of this.logsByRequest.get(requestId) ?? []) {
        if (log.traceId === '' || log.traceId === trace.traceId) seen.set(log.seq, log)
      }
    }
    return [...seen.values()].sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq)
  }

  /** Newest first. */
  queryLogs(query: LogQuery = {}): ViewerLog[] {
    const limit = Math.min(query.limit ?? 200, 2000)
    const minRank = query.level === undefined ? 0 : (LEVEL_RANK[query.level] ?? 0)
    const text = query.text?.toLowerCase()
    const out: ViewerLog[] = []
    const accept = (log: ViewerLog): boolean => {
      if (query.service && log.service !== query.service) return true
      if ((LEVEL_RANK[log.level] ?? 2) < minRank) return true
      if (query.traceId && log.traceId !== query.traceId) return true
      if (query.requestId && log.requestId !== query.requestId) return true
      if (text && !log.body.toLowerCase().includes(text)) return true
      out.push(log)
      return out.length < limit
    }
    const indexed = query.traceId
      ? this.logsByTrace.get(query.traceId)
      : query.requestId
        ? this.logsByRequest.get(query.requestId)
        : undefined
    if (indexed !== undefined || query.traceId || query.requestId) {
      const list = indexed ?? []
      for (let i = list.length - 1; i >= 0; i--) if (!accept(list[i]!)) break
    } else {
      this.logs.forEachNewest(accept)
    }
    // Arrival order is batch order: a batch may carry older lines after newer ones.
    return out.sort((a, b) => b.timeMs - a.timeMs || b.seq - a.seq)
  }

  /** Newest first. */
  queryMetrics(query: { name?: string; service?: string; limit?: number } = {}): ViewerMetricPoint[] {
    const limit = Math.min(query.limit ?? 500, 10_000)
    const out: ViewerMetricPoint[] = []
    this.metrics.forEachNewest((point) => {
      if (query.name && point.name !== query.name) return true
      if (query.service && point.service !== query.service) return true
      out.push(point)
      return out.length < limit
    })
    return out
  }

  /** Every kept metric point, oldest first (for the metrics page's series). */
  allMetricPoints(filter: (point: ViewerMetricPoint) => boolean = () => true): ViewerMetricPoint[] {
    const out: ViewerMetricPoint[] = []
    this.metrics.forEachNewest((point) => {
      if (filter(point)) out.push(point)
      return true
    })
    return out.reverse()
  }

  /** How many metric series have points kept. */
  get metricSeries(): number {
    return this.seriesPoints.size
  }

  private candidates(q: string | undefined): StoredTrace[] {
    if (!q) return [...this.traceMap.values()]
    const needle = q.trim()
    const direct = this.traceMap.get(needle.toLowerCase())
    const found: StoredTrace[] = direct === undefined ? [] : [direct]
    // A request id names a trace through a span attribute, or through the log lines that carry both ids
    // (Sightline puts request_id on log lines, not on spans).
    const traceIds = new Set(this.byRequestId.get(needle))
    for (const log of this.logsByRequest.get(needle) ?? []) if (log.traceId !== '') traceIds.add(log.traceId)
    for (const traceId of traceIds) {
      const trace = this.traceMap.get(traceId)
      if (trace !== undefined && trace !== direct) found.push(trace)
    }
    return found.sort((a, b) => a.startMs - b.startMs)
  }

  /** Evicts the oldest kept item, whatever its kind, until the estimate is back under the budget. */
  private enforceByteBudget(): void {
    while (this.bytes > this.limits.maxBytes) {
      const trace = (this.traceMap.values().next().value as StoredTrace | undefined)?.arrival ?? Infinity
      const log = this.logs.oldest()?.seq ?? Infinity
      const metric = this.metricArrivals.oldest() ?? Infinity
      if (trace === Infinity && log === Infinity && metric === Infinity) return
      this.counters.evictedForBytes++
      if (trace < log && trace < metric) this.evictOldestTrace()
      else if (log < metric) this.forgetLog(this.logs.shift()!)
      else {
        this.metricArrivals.shift()
        this.forgetMetricPoint(this.metrics.shift()!)
      }
    }
  }

  private evictOldestTrace(): void {
    const oldest = this.traceMap.values().next().value as StoredTrace
    this.traceMap.delete(oldest.traceId)
    this.bytes -= oldest.bytes
    this.counters.tracesEvicted++
    for (const requestId of oldest.requestIds) {
      const ids = this.byRequestId.get(requestId)
      ids?.delete(oldest.traceId)
      if (ids?.size === 0) this.byRequestId.delete(requestId)
    }
  }

  /** Accounts for a log record that left the ring, and takes it out of the indexes. */
  private forgetLog(log: ViewerLog): void {
    this.bytes -= logBytes(log)
    this.counters.logsEvicted++
    unindex(this.logsByTrace, log.traceId, log)
    unindex(this.logsByRequest, log.requestId, log)
  }

  private forgetMetricPoint(point: ViewerMetricPoint): void {
    const key = this.pointSeries.get(point)
    if (key !== undefined) {
      const left = (this.seriesPoints.get(key) ?? 1) - 1
      if (left <= 0) this.seriesPoints.delete(key)
      else this.seriesPoints.set(key, left)
    }
    this.bytes -= metricPointBytes(point)
    this.counters.metricPointsEvicted++
  }
}

/** The list entry of a trace: its root span (no parent here), else its earliest span. */
export function summarise(trace: StoredTrace): TraceSummary {
  let root = trace.spans[0]!
  for (const span of trace.spans) {
    const rootHasParent = root.parentSpanId !== ''
    if (
      (rootHasParent && span.parentSpanId === '') ||
      (rootHasParent === (span.parentSpanId !== '') && span.startMs < root.startMs)
    ) {
      root = span
    }
  }
  return {
    traceId: trace.traceId,
    name: root.name,
    service: root.service,
    services: [...trace.services],
    route: root.route,
    httpStatus: root.httpStatus,
    startMs: trace.startMs,
    durationMs: trace.endMs - trace.startMs,
    spanCount: trace.spans.length,
    error: trace.error,
    requestId: root.requestId || ([...trace.requestIds][0] ?? ''),
  }
}

/** A metric series: service, name and the attribute set (in key order). */
export function seriesKey(point: ViewerMetricPoint): string {
  const keys = Object.keys(point.attributes).sort()
  let key = `${point.service}\u0000${point.name}`
  for (const k of keys) key += `\u0000${k}=${String(point.attributes[k])}`
  return key
}

function statusMatches(status: number, wanted: string): boolean {
  if (/^[1-5]xx$/i.test(wanted)) return Math.floor(status / 100) === Number(wanted[0])
  return String(status) === wanted
}

function index(map: Map<string, ViewerLog[]>, key: string, log: ViewerLog): void {
  if (key === '') return
  const list = map.get(key)
  if (list === undefined) map.set(key, [log])
  else list.push(log)
}

function unindex(map: Map<string, ViewerLog[]>, key: string, log: ViewerLog): void {
  if (key === '') return
  const list = map.get(key)
  if (list === undefined) return
  // The evicted record is the oldest, so it is first in its list.
  if (list[0] === log) list.shift()
  else list.splice(list.indexOf(log), 1)
  if (list.length === 0) map.delete(key)
}
