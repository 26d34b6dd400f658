/**
 * @module viewer/model
 * The viewer's internal model: one shape for spans, log records and metric points, whichever OTLP
 * encoding (protobuf or JSON) they arrived in. Ids are lowercase hex, times are milliseconds since the epoch.
 */

/** An attribute value after normalisation: scalars stay scalars, arrays and maps become JSON text. */
export type AttributeValue = string | number | boolean | null

export type Attributes = Record<string, AttributeValue>

export interface SpanEvent {
  timeMs: number
  name: string
  attributes: Attributes
}

/** OpenTelemetry span kinds, as numbered by OTLP. */
export const SPAN_KIND_SERVER = 2
export const SPAN_KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const

/** OTLP status codes. */
export const STATUS_UNSET = 0
export const STATUS_OK = 1
export const STATUS_ERROR = 2

export interface ViewerSpan {
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
  events: SpanEvent[]
  /**
   * How many spans this one stands for: 1 / the sampling probability its W3C tracestate carries
   * (`ot=th:…`, OpenTelemetry's consistent probability sampling), 1 when it carries none.
   */
  weight?: number
  /** Whether the span carried a sampling threshold (so `weight` is known, not assumed). */
  weighted?: boolean
  /** Read once from the attributes, for filters and the services page. */
  route: string
  httpStatus: number
  requestId: string
}

export interface ViewerLog {
  /** Arrival order, unique for the process: lets clients page and dedupe. */
  seq: number
  timeMs: number
  severityNumber: number
  /** trace, debug, info, warn, error or fatal (from the severity number when the text is missing). */
  level: string
  body: string
  service: string
  traceId: string
  spanId: string
  requestId: string
  attributes: Attributes
}

/** OTLP aggregation temporality. */
export const TEMPORALITY_DELTA = 1
export const TEMPORALITY_CUMULATIVE = 2

export interface ViewerMetricPoint {
  name: string
  service: string
  /** gauge, sum or histogram (exponential histograms and summaries keep count and sum). */
  type: string
  unit: string
  timeMs: number
  /** The value for gauges and sums; the sum for histograms. */
  value: number
  count: number
  attributes: Attributes
  /** When the point's accumulation started (cumulative and delta points); 0 when not given. */
  startMs?: number
  /** Sums and histograms: 1 delta, 2 cumulative (OTLP's numbering); 0 for gauges. */
  temporality?: number
  /** Sums: whether the sum only grows (a counter), so it is shown as a rate. */
  monotonic?: boolean
  /** Explicit-bucket histograms: upper bounds, and one count per bucket (one more than bounds). */
  bounds?: number[]
  bucketCounts?: number[]
}

/** Everything one OTLP request carried, after normalisation. */
export interface Batch {
  spans: ViewerSpan[]
  logs: Omit<ViewerLog, 'seq'>[]
  metrics: ViewerMetricPoint[]
}

const ROUTE_KEYS = ['http.route', 'url.template']
const STATUS_KEYS = ['http.response.status_code', 'http.status_code']
const REQUEST_ID_KEYS = ['request_id', 'http.request.header.x-request-id', 'request.id']

/** Fills the derived fields (route, HTTP status, request id) of a span from its attributes. */
export function deriveSpanFields(span: ViewerSpan): void {
  span.route = firstString(span.attributes, ROUTE_KEYS)
  const status = firstValue(span.attributes, STATUS_KEYS)
  span.httpStatus = typeof status === 'number' ? status : Number(status) || 0
  span.requestId = firstString(span.attributes, REQUEST_ID_KEYS)
}

/** 2^56: OpenTelemetry's sampling thresholds are 56-bit fractions of the trace id randomness. */
const THRESHOLD_SCALE = 2 ** 56

/**
 * The sampling probability in a W3C tracestate's `ot` member (`ot=th:c;rv:…`): the threshold `th`
 * is up to 14 hex digits, right-padded with zeros, and a span is kept when its randomness is at or
 * above it, so the probability is 1 − th / 2^56 (`th:0` is 100 %). `undefined` without a valid one.
 * @example samplingProbability('ot=th:e666666666666') // ≈ 0.1
 */
export function samplingProbability(traceState: string): number | undefined {
  for (const member of traceState.split(',')) {
    const entry = member.trim()
    if (!entry.startsWith('ot=')) continue
    for (const field of entry.slice(3).split(';')) {
      if (!field.startsWith('th:')) continue
      const digits = field.slice(3)
      if (!/^[0-9a-f]{1,14}$/.test(digits)) return undefined
      const threshold = Number.parseInt(digits.padEnd(14, '0'), 16)
      const probability = 1 - threshold / THRESHOLD_SCALE
      return probability > 0 ? probability : undefined
    }
  }
  return undefined
}

/** The request id a log record carries, from its attributes. */
export function logRequestId(attributes: Attributes): string {
  return firstString(attributes, REQUEST_ID_KEYS)
}

function firstValue(attributes: Attributes, keys: readonly string[]): AttributeValue | undefined {
  for (const key of keys) {
    const value = attributes[key]
    if (value !== undefined && value !== null) return value
  }
  return undefined
}

function firstString(attributes: Attributes, keys: readonly string[]): string {
  const value = firstValue(attributes, keys)
  if (value === undefined || value === null) return ''
  // Header attributes arrive as one-element arrays (JSON text after normalisation).
  if (typeof value === 'string' && value.startsWith('["')) {
    try {
      const parsed = JSON.parse(value) as unknown
      if (Array.isArray(parsed) && typeof parsed[0] === 'string') return parsed[0]
    } catch {
      // Not an array after all: use the text as it is.
    }
  }
  return String(value)
}

const LEVEL_BY_SEVERITY = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

/** The level name of an OTLP severity number (1–4 trace … 21–24 fatal); `info` when unknown. */
export function levelOf(severityNumber: number, severityText: string): string {
  if (severityNumber >= 1 && severityNumber <= 24) return LEVEL_BY_SEVERITY[Math.floor((severityNumber - 1) / 4)]!
  const text = severityText.toLowerCase()
  if (text.startsWith('warn')) return 'warn'
  if (text.startsWith('err')) return 'error'
  return (LEVEL_BY_SEVERITY as readonly string[]).includes(text) ? text : 'info'
}
