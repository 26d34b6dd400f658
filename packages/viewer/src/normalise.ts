/**
 * @module viewer/normalise
 * Turns an OTLP export request in the OTLP/JSON shape (as sent by JSON exporters, or as produced
 * by the protobuf decoder) into the viewer's model. Tolerant: a field of the wrong type becomes
 * empty, and a span that cannot be used is refused and counted, rather than failing the whole
 * batch, since any app may send anything. Records come one at a time (generators), so the receiver
 * can store them in slices and let the event loop answer the UI between two.
 */
import { type NormaliseCounters, newNormaliseCounters } from './counters.js'
import { DEFAULT_LIMITS } from './limits.js'
import {
  deriveSpanFields,
  levelOf,
  logRequestId,
  samplingProbability,
  type ViewerLog,
  type ViewerMetricPoint,
  type ViewerSpan,
} from './model.js'
import { isUsableTime, nanosToMs } from './time.js'
import { anyValue, attributesOf, isObject, itemCount, items, stringField, type ValueLimits } from './values.js'

type Json = Record<string, unknown>

const UNKNOWN_SERVICE = 'unknown_service'
const BASE64_ID = /^[A-Za-z0-9+/]+=*$/

export interface NormaliseLimits extends ValueLimits {
  maxEvents: number
}

/** The limits applied and where to count what they cut. */
export interface NormaliseContext {
  limits: NormaliseLimits
  counters: NormaliseCounters
}

function defaultContext(): NormaliseContext {
  return { limits: DEFAULT_LIMITS, counters: newNormaliseCounters() }
}

/** The spans of an `ExportTraceServiceRequest`. */
export function normaliseTraces(request: Json, context = defaultContext()): ViewerSpan[] {
  return [...spansOf(request, context)]
}

/** The log records of an `ExportLogsServiceRequest`. */
export function normaliseLogs(request: Json, context = defaultContext()): Omit<ViewerLog, 'seq'>[] {
  return [...logsOf(request, context)]
}

/** The data points of an `ExportMetricsServiceRequest`. */
export function normaliseMetrics(request: Json, context = defaultContext()): ViewerMetricPoint[] {
  return [...metricPointsOf(request, context)]
}

/** The spans of an `ExportTraceServiceRequest`, one at a time. */
export function* spansOf(request: Json, { limits, counters }: NormaliseContext): Generator<ViewerSpan> {
  for (const resourceSpans of objects(request.resourceSpans)) {
    const service = serviceOf(resourceSpans, limits, counters)
    for (const scopeSpans of objects(resourceSpans.scopeSpans)) {
      for (const raw of items(scopeSpans.spans)) {
        const span = isObject(raw) ? spanOf(raw, service, limits, counters) : undefined
        if (span === undefined) counters.spansRejected++
        else yield span
      }
    }
  }
}

function spanOf(
  raw: Json,
  service: string,
  limits: NormaliseLimits,
  counters: NormaliseCounters,
): ViewerSpan | undefined {
  const traceId = id(raw.traceId, 32)
  const spanId = id(raw.spanId, 16)
  const startMs = nanosToMs(raw.startTimeUnixNano)
  if (traceId === '' || spanId === '' || !isUsableTime(startMs)) return undefined
  let endMs = nanosToMs(raw.endTimeUnixNano)
  if (!isUsableTime(endMs) || endMs < startMs) {
    counters.spansClamped++
    endMs = startMs
  }
  const status = isObject(raw.status) ? raw.status : {}
  const span: ViewerSpan = {
    traceId,
    spanId,
    parentSpanId: id(raw.parentSpanId, 16),
    name: stringField(raw.name, limits, counters),
    kind: num(raw.kind),
    service,
    startMs,
    durationMs: endMs - startMs,
    statusCode: num(status.code),
    statusMessage: stringField(status.message, limits, counters),
    attributes: attributesOf(raw.attributes, limits, counters),
    events: [],
    weight: 1,
    weighted: false,
    route: '',
    httpStatus: 0,
    requestId: '',
  }
  let seen = 0
  for (const event of items(raw.events)) {
    seen++
    if (!isObject(event)) continue
    if (span.events.length >= limits.maxEvents) {
      counters.eventsDropped += Math.max(1, itemCount(raw.events) - seen + 1)
      break
    }
    const timeMs = nanosToMs(event.timeUnixNano)
    span.events.push({
      timeMs: isUsableTime(timeMs) ? timeMs : startMs,
      name: stringField(event.name, limits, counters),
      attributes: attributesOf(event.attributes, limits, counters),
    })
  }
  deriveSpanFields(span)
  if (typeof raw.traceState === 'string' && raw.traceState !== '') {
    const probability = samplingProbability(raw.traceState.slice(0, 512))
    if (probability !== undefined) {
      span.weight = 1 / probability
      span.weighted = true
    }
  }
  return span
}

/** The log records of an `ExportLogsServiceRequest`, one at a time. */
export function* logsOf(request: Json, { limits, counters }: NormaliseContext): Generator<Omit<ViewerLog, 'seq'>> {
  for (const resourceLogs of objects(request.resourceLogs)) {
    const service = serviceOf(resourceLogs, limits, counters)
    for (const scopeLogs of objects(resourceLogs.scopeLogs)) {
      for (const raw of items(scopeLogs.logRecords)) {
        if (!isObject(raw)) {
          counters.recordsRejected++
          continue
        }
        const attributes = attributesOf(raw.attributes, limits, counters)
        const severityNumber = num(raw.severityNumber)
        const body = anyValue(raw.body, limits, counters)
        yield {
          timeMs: firstUsableTime(raw.timeUnixNano, raw.observedTimeUnixNano),
          severityNumber,
          level: levelOf(severityNumber, typeof raw.severityText === 'string' ? raw.severityText.slice(0, 16) : ''),
          body: body === null ? '' : String(body),
          service,
          traceId: id(raw.traceId, 32),
          spanId: id(raw.spanId, 16),
          requestId: logRequestId(attributes),
          attributes,
        }
      }
    }
  }
}

/** The data points of an `ExportMetricsServiceRequest`, one at a time. */
export function* metricPointsOf(request: Json, { limits, counters }: NormaliseContext): Generator<ViewerMetricPoint> {
  for (const resourceMetrics of objects(request.resourceMetrics)) {
    const service = serviceOf(resourceMetrics, limits, counters)
    for (const scopeMetrics of objects(resourceMetrics.scopeMetrics)) {
      for (const metric of items(scopeMetrics.metrics)) {
        if (!isObject(metric)) {
          counters.recordsRejected++
          continue
        }
        for (const type of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) {
          const data = metric[type]
          if (!isObject(data)) continue
          const histogram = type !== 'gauge' && type !== 'sum'
          const temporality = type === 'gauge' || type === 'summary' ? 0 : num(data.aggregationTemporality)
          for (const point of objects(data.dataPoints)) {
            const timeMs = nanosToMs(point.timeUnixNano)
            const startMs = nanosToMs(point.startTimeUnixNano)
            const out: ViewerMetricPoint = {
              name: stringField(metric.name, limits, counters),
              service,
              type,
              unit: stringField(metric.unit, limits, counters),
              timeMs: isUsableTime(timeMs) ? timeMs : 0,
              value: histogram ? num(point.sum) : num(point.asDouble ?? point.asInt),
              count: histogram ? num(point.count) : 1,
              attributes: attributesOf(point.attributes, limits, counters),
              startMs: isUsableTime(startMs) ? startMs : 0,
              temporality,
            }
            if (type === 'sum') out.monotonic = data.isMonotonic === true
            if (type === 'histogram') {
              const bounds = numbers(point.explicitBounds)
              const bucketCounts = numbers(point.bucketCounts)
              // A histogram's buckets are one more than its bounds; any other shape is not used.
              if (bucketCounts.length === bounds.length + 1 && bounds.length <= MAX_BUCKETS) {
                out.bounds = bounds
                out.bucketCounts = bucketCounts
              }
            }
            yield out
          }
        }
      }
    }
  }
}

/** Buckets kept per histogram point. */
const MAX_BUCKETS = 256

function numbers(value: unknown): number[] {
  if (!Array.isArray(value)) return []
  return value.slice(0, MAX_BUCKETS + 1).map(num)
}

/** The resource's `service.name`, found without building its other attributes (they are not kept). */
function serviceOf(resourceEntry: Json, limits: ValueLimits, counters: NormaliseCounters): string {
  const resource = isObject(resourceEntry.resource) ? resourceEntry.resource : {}
  for (const kv of objects(resource.attributes)) {
    if (kv.key !== 'service.name' || !isObject(kv.value)) continue
    const name = stringField(kv.value.stringValue, limits, counters)
    if (name !== '') return name
  }
  return UNKNOWN_SERVICE
}

function* objects(value: unknown): Generator<Json> {
  for (const item of items(value)) if (isObject(item)) yield item
}

function num(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0
  return Number.isFinite(n) ? n : 0
}

/** A log record's time, else its observed time, else now. */
function firstUsableTime(...candidates: unknown[]): number {
  for (const candidate of candidates) {
    const ms = nanosToMs(candidate)
    if (isUsableTime(ms)) return ms
  }
  return Date.now()
}

/** Ids: hex in OTLP/JSON (and from the protobuf decoder); some older emitters send base64. */
function id(value: unknown, hexLength: number): string {
  if (typeof value !== 'string' || value === '' || value.length > hexLength) return ''
  if (value.length === hexLength && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase()
  if (BASE64_ID.test(value)) {
    const hex = Buffer.from(value, 'base64').toString('hex')
    if (hex.length === hexLength) return hex
  }
  return ''
}
