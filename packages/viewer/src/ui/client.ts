/**
 * @module viewer/ui/client
 * Fetches from the viewer's JSON API (same origin, so the token cookie goes along) and the types it returns.
 */

export type Attributes = Record<string, string | number | boolean | null>

export interface Span {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  kind: number
  service: string
  startMs: number
  durationMs: number
  statusCode: number
  statusMessage: string
  attributes: Attributes
  events: { timeMs: number; name: string; attributes: Attributes }[]
  route: string
  httpStatus: number
  requestId: string
}

export interface LogRecord {
  seq: number
  timeMs: number
  level: string
  body: string
  service: string
  traceId: string
  spanId: string
  requestId: string
  attributes: Attributes
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

export interface TraceDetail extends TraceSummary {
  spans: Span[]
  logs: LogRecord[]
}

export interface Series {
  t: number[]
  rate: number[]
  errorRatio: number[]
  p50: number[]
  p95: number[]
  p99: number[]
}

export interface RouteSummary {
  service: string
  route: string
  count: number
  spans: number
  weightedSpans: number
  source?: 'spans' | 'metrics' | 'mixed'
  rate: number
  errorRatio: number
  p50: number
  p95: number
  p99: number
  series: Series
}

export interface ServiceSummary extends Omit<RouteSummary, 'route'> {
  routes: RouteSummary[]
}

/** GET a JSON API path; `undefined` on 404. */
export async function api<T>(path: string): Promise<T | undefined> {
  const response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
  if (response.status === 404) return undefined
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`)
  return (await response.json()) as T
}
