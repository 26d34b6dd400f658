/**
 * @module viewer/size
 * Estimates of the heap a kept span, log record or metric point holds, for the store's byte budget.
 * Meant to err high: V8 headers and hash-table slack are counted at typical sizes, and a string
 * with any character past Latin-1 at two bytes a character, as V8 stores it.
 */
import type { Attributes, ViewerLog, ViewerMetricPoint, ViewerSpan } from './model.js'

/** A span object, its ids and fixed fields, its arrays, and its share of the trace's indexes. */
const SPAN_BYTES = 480
/** A trace's entry: the record, its sets of services, routes and request ids, and its map slots. */
export const TRACE_BYTES = 560
/** A log record, its ids, and its slots in the ring and the trace and request-id indexes. */
const LOG_BYTES = 360
const METRIC_POINT_BYTES = 280
const EVENT_BYTES = 120
/** One property of an attribute map (dictionary slot with its slack) and a boxed number. */
const ATTRIBUTE_BYTES = 56
const STRING_HEADER_BYTES = 16
const WIDE_CHAR = /[\u0100-\uffff]/

export function stringBytes(text: string): number {
  return STRING_HEADER_BYTES + (WIDE_CHAR.test(text) ? 2 * text.length : text.length)
}

export function attributeBytes(attributes: Attributes): number {
  let bytes = 64
  for (const key in attributes) {
    const value = attributes[key]
    bytes += ATTRIBUTE_BYTES + stringBytes(key) + (typeof value === 'string' ? stringBytes(value) : 0)
  }
  return bytes
}

export function spanBytes(span: ViewerSpan): number {
  let bytes =
    SPAN_BYTES +
    stringBytes(span.name) +
    stringBytes(span.statusMessage) +
    stringBytes(span.route) +
    stringBytes(span.requestId) +
    attributeBytes(span.attributes)
  for (const event of span.events) bytes += EVENT_BYTES + stringBytes(event.name) + attributeBytes(event.attributes)
  return bytes
}

export function logBytes(log: Omit<ViewerLog, 'seq'>): number {
  return LOG_BYTES + stringBytes(log.body) + stringBytes(log.requestId) + attributeBytes(log.attributes)
}

export function metricPointBytes(point: ViewerMetricPoint): number {
  const buckets = (point.bounds?.length ?? 0) + (point.bucketCounts?.length ?? 0)
  return (
    METRIC_POINT_BYTES +
    stringBytes(point.name) +
    stringBytes(point.unit) +
    attributeBytes(point.attributes) +
    (buckets === 0 ? 0 : 32 + buckets * 8)
  )
}
