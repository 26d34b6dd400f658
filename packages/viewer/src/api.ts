/**
 * @module viewer/api
 * The JSON API the pages read, so the viewer is scriptable too: `GET /api/services`,
 * `/api/traces?service&route&status&error&minDurationMs&q&limit`, `/api/traces/<trace_id>`,
 * `/api/logs?service&level&text&requestId&traceId&limit`, `/api/metrics?name&service` (raw points),
 * `/api/metric-names`, `/api/metric-view?service&name&by` (the metrics page),
 * `/api/errors?service&limit` (error groups, newest last seen first), `/api/stats`.
 */
import { decodeComponent } from './decode.js'
import { applyRequestMetrics, REQUEST_DURATION_METRIC, requestCounts } from './golden-metrics.js'
import { metricCatalog, metricView } from './metrics-view.js'
import type { Store } from './store.js'

export interface ApiResponse {
  status: number
  body: unknown
}

/**
 * Answers one API request; `undefined` for a path that is not part of the API.
 * @example handleApi(store, new URL('http://x/api/traces?service=api'))
 */
export function handleApi(store: Store, url: URL): ApiResponse | undefined {
  const path = url.pathname
  const q = url.searchParams
  if (path === '/api/services') {
    const now = Date.now()
    const services = store.stats.summary(now)
    const counts = requestCounts(
      store.allMetricPoints((p) => p.name === REQUEST_DURATION_METRIC),
      now,
    )
    applyRequestMetrics(services, counts, now)
    return ok({ now, services })
  }
  if (path === '/api/traces') {
    return ok({
      traces: store.traces({
        service: param(q, 'service'),
        route: param(q, 'route'),
        status: param(q, 'status'),
        error: q.has('error') ? q.get('error') === 'true' : undefined,
        minDurationMs: numberParam(q, 'minDurationMs'),
        q: param(q, 'q'),
        limit: numberParam(q, 'limit'),
      }),
      total: store.size.traces,
    })
  }
  if (path.startsWith('/api/traces/')) {
    const id = decodeComponent(path.slice('/api/traces/'.length))
    if (id === undefined) return { status: 400, body: { message: 'the trace id is not valid percent-encoding' } }
    const trace = store.trace(id)
    if (trace === undefined) return { status: 404, body: { message: 'trace not found' } }
    const spans = [...trace.spans].sort((a, b) => a.startMs - b.startMs)
    return ok({ ...store.summary(trace), spans, logs: store.logsOfTrace(trace) })
  }
  if (path === '/api/logs') {
    const logs = store.queryLogs({
      service: param(q, 'service'),
      level: param(q, 'level'),
      text: param(q, 'text'),
      requestId: param(q, 'requestId'),
      traceId: param(q, 'traceId'),
      limit: numberParam(q, 'limit'),
    })
    return ok({ logs, total: store.size.logs })
  }
  if (path === '/api/metrics') {
    return ok({
      points: store.queryMetrics({
        name: param(q, 'name'),
        service: param(q, 'service'),
        limit: numberParam(q, 'limit'),
      }),
    })
  }
  if (path === '/api/errors') {
    const groups = store.errors.list({ service: param(q, 'service'), limit: numberParam(q, 'limit') })
    return ok({ groups, total: store.errors.size, evicted: store.counters.errorGroupsEvicted })
  }
  if (path === '/api/metric-names') {
    return ok({ metrics: metricCatalog(store.allMetricPoints()), series: store.metricSeries })
  }
  if (path === '/api/metric-view') {
    const name = param(q, 'name')
    if (name === undefined) return { status: 400, body: { message: 'name is required' } }
    const view = metricView(store.allMetricPoints(), { name, service: param(q, 'service'), by: param(q, 'by') })
    if (view === undefined) return { status: 404, body: { message: 'no such metric' } }
    return ok(view)
  }
  if (path === '/api/stats') {
    return ok({ size: { ...store.size, ...store.stats.size }, limits: store.limits, counters: store.counters })
  }
  return undefined
}

function ok(body: unknown): ApiResponse {
  return { status: 200, body }
}

function param(q: URLSearchParams, name: string): string | undefined {
  const value = q.get(name)
  return value === null || value === '' ? undefined : value
}

function numberParam(q: URLSearchParams, name: string): number | undefined {
  const value = Number(param(q, name))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}
