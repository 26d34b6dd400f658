/**
 * @module viewer/normalise
 * Turns an OTLP export request in the OTLP/JSON shape (as sent by JSON exporters, or as produced
 * by the protobuf decoder) into the viewer's model. Tolerant: a field of the wrong type becomes
 * empty rather than failing the whole batch, since any app may send anything.
 */
import {
  type Attributes,
  type AttributeValue,
  deriveSpanFields,
  levelOf,
  logRequestId,
  type ViewerLog,
  type ViewerMetricPoint,
  type ViewerSpan,
} from './model.js'

type Json = Record<string, unknown>

const UNKNOWN_SERVICE = 'unknown_service'
/** Longer strings are cut: one huge attribute must not make the bounded store unbounded in bytes. */
export const MAX_STRING_LENGTH = 8192
const BASE64_ID = /^[A-Za-z0-9+/]+=*$/

/** The spans of an `ExportTraceServiceRequest`. */
export function normaliseTraces(request: Json): ViewerSpan[] {
  const spans: ViewerSpan[] = []
  for (const resourceSpans of list(request.resourceSpans)) {
    const service = serviceOf(resourceSpans)
    for (const scopeSpans of list(resourceSpans.scopeSpans)) {
      for (const raw of list(scopeSpans.spans)) {
        const startMs = toMs(raw.startTimeUnixNano)
        const status = (raw.status ?? {}) as Json
        const span: ViewerSpan = {
          traceId: id(raw.traceId, 32),
          spanId: id(raw.spanId, 16),
          parentSpanId: id(raw.parentSpanId, 16),
          name: str(raw.name),
          kind: num(raw.kind),
          service,
          startMs,
          durationMs: Math.max(0, toMs(raw.endTimeUnixNano) - startMs),
          statusCode: num(status.code),
          statusMessage: str(status.message),
          attributes: attributes(raw.attributes),
          events: list(raw.events).map((event) => ({
            timeMs: toMs(event.timeUnixNano),
            name: str(event.name),
            attributes: attributes(event.attributes),
          })),
          route: '',
          httpStatus: 0,
          requestId: '',
        }
        if (span.traceId === '' || span.spanId === '') continue
        deriveSpanFields(span)
        spans.push(span)
      }
    }
  }
  return spans
}

/** The log records of an `ExportLogsServiceRequest`. */
export function normaliseLogs(request: Json): Omit<ViewerLog, 'seq'>[] {
  const logs: Omit<ViewerLog, 'seq'>[] = []
  for (const resourceLogs of list(request.resourceLogs)) {
    const service = serviceOf(resourceLogs)
    for (const scopeLogs of list(resourceLogs.scopeLogs)) {
      for (const raw of list(scopeLogs.logRecords)) {
        const attrs = attributes(raw.attributes)
        const severityNumber = num(raw.severityNumber)
        const time = toMs(raw.timeUnixNano) || toMs(raw.observedTimeUnixNano) || Date.now()
        logs.push({
          timeMs: time,
          severityNumber,
          level: levelOf(severityNumber, str(raw.severityText)),
          body: text(anyValue(raw.body)),
          service,
          traceId: id(raw.traceId, 32),
          spanId: id(raw.spanId, 16),
          requestId: logRequestId(attrs),
          attributes: attrs,
        })
      }
    }
  }
  return logs
}

/** The data points of an `ExportMetricsServiceRequest`. */
export function normaliseMetrics(request: Json): ViewerMetricPoint[] {
  const points: ViewerMetricPoint[] = []
  for (const resourceMetrics of list(request.resourceMetrics)) {
    const service = serviceOf(resourceMetrics)
    for (const scopeMetrics of list(resourceMetrics.scopeMetrics)) {
      for (const metric of list(scopeMetrics.metrics)) {
        for (const type of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) {
          const data = metric[type] as Json | undefined
          if (data === undefined || data === null) continue
          const histogram = type !== 'gauge' && type !== 'sum'
          for (const point of list(data.dataPoints)) {
            points.push({
              name: str(metric.name),
              service,
              type,
              unit: str(metric.unit),
              timeMs: toMs(point.timeUnixNano),
              value: histogram ? num(point.sum) : num(point.asDouble ?? point.asInt),
              count: histogram ? num(point.count) : 1,
              attributes: attributes(point.attributes),
            })
          }
        }
      }
    }
  }
  return points
}

function serviceOf(resourceEntry: Json): string {
  const resource = (resourceEntry.resource ?? {}) as Json
  const name = attributes(resource.attributes)['service.name']
  return typeof name === 'string' && name !== '' ? name : UNKNOWN_SERVICE
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value.filter((item) => item !== null && typeof item === 'object') as Json[]) : []
}

function str(value: unknown): string {
  if (typeof value !== 'string') return ''
  return value.length > MAX_STRING_LENGTH ? `${value.slice(0, MAX_STRING_LENGTH)}…` : value
}

function num(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0
  return Number.isFinite(n) ? n : 0
}

/** Nanoseconds (a number, or a decimal string as OTLP/JSON writes 64-bit integers) to milliseconds. */
function toMs(value: unknown): number {
  if (typeof value === 'number') return value / 1e6
  if (typeof value !== 'string' || value === '') return 0
  // Split so the division keeps microseconds: a nanosecond count does not fit a double exactly.
  const cut = value.length - 6
  if (cut <= 0) return num(value) / 1e6
  return num(value.slice(0, cut)) + num(value.slice(cut)) / 1e6
}

/** Ids: hex in OTLP/JSON (and from the protobuf decoder); some older emitters send base64. */
function id(value: unknown, hexLength: number): string {
  if (typeof value !== 'string' || value === '') return ''
  if (value.length === hexLength && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase()
  if (BASE64_ID.test(value)) {
    const hex = Buffer.from(value, 'base64').toString('hex')
    if (hex.length === hexLength) return hex
  }
  return ''
}

function attributes(value: unknown): Attributes {
  const out: Attributes = {}
  for (const kv of list(value)) {
    if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value)
  }
  return out
}

function anyValue(value: unknown): AttributeValue {
  if (value === null || typeof value !== 'object') return null
  const v = value as Json
  if (v.stringValue !== undefined) return str(v.stringValue)
  if (v.boolValue !== undefined) return v.boolValue === true
  if (v.intValue !== undefined) return num(v.intValue)
  if (v.doubleValue !== undefined) return num(v.doubleValue)
  if (v.bytesValue !== undefined) return str(v.bytesValue)
  if (v.arrayValue !== undefined) return JSON.stringify(list((v.arrayValue as Json).values).map(anyValue))
  if (v.kvlistValue !== undefined) return JSON.stringify(attributes((v.kvlistValue as Json).values))
  return null
}

function text(value: AttributeValue): string {
  return value === null ? '' : String(value)
}
