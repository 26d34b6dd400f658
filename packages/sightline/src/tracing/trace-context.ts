/**
 * @module tracing/trace-context
 * W3C Trace Context Level 2 `traceparent` and `tracestate`, parsed by one scan (no regular
 * expression) and stricter than OpenTelemetry's W3CTraceContextPropagator where the spec says so:
 * version 00 is exactly 55 characters, a higher version (01-fe) may be longer only if character 56
 * is '-', version ff, uppercase hex and all-zero ids are refused, and several `traceparent` fields
 * (an array, or values Node joined with ',') are no traceparent at all. `tracestate` is read only
 * with a valid traceparent and follows tracing/trace-state.
 *
 * Flags: the sampled (0x01) and random trace-id (0x02) bits are kept, every other bit is cleared
 * ("Vendors MUST set those to zero"), and only version 00 is sent.
 */
import {
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type TraceState,
  trace,
} from '@opentelemetry/api'
import { isTracingSuppressed } from '../vendor/otel-sdk.js'
import { plainConstructor } from './span-values.js'
import { parseTraceState } from './trace-state.js'

export const TRACE_PARENT_HEADER = 'traceparent'
export const TRACE_STATE_HEADER = 'tracestate'
/** The sampled flag. */
export const TRACE_FLAG_SAMPLED = 0x01
/** Level 2's random trace-id flag: the right-most 7 bytes of the trace-id are random. */
export const TRACE_FLAG_RANDOM = 0x02
/** The flags this level defines; the others are cleared. */
const KNOWN_FLAGS = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM
const FLAGS_HEX = ['00', '01', '02', '03'] as const
/** version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2. */
const TRACEPARENT_LENGTH = 55

const DASH = 0x2d
const SPACE = 0x20
const TAB = 0x09
const ZERO = 0x30

/** A lowercase hex digit's value, or -1 (HEXDIGLC: uppercase is not hex here). */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  if (code >= 0x61 && code <= 0x66) return code - 0x57
  return -1
}

/** True when `value.slice(start, start + length)` is lowercase hex and not all zeros. */
function isId(value: string, start: number, length: number): boolean {
  let nonZero = false
  for (let i = start; i < start + length; i++) {
    const code = value.charCodeAt(i)
    if (hexValue(code) === -1) return false
    if (code !== ZERO) nonZero = true
  }
  return nonZero
}

/** A remote parent's span context (a constructor, as tracing/span-values says why). */
const RemoteSpanContext = plainConstructor<
  new (
    traceId: string,
    spanId: string,
    traceFlags: number,
  ) => SpanContext & { traceState: TraceState | undefined }
>(function (this: Record<string, unknown>, traceId: string, spanId: string, traceFlags: number) {
  this.traceId = traceId
  this.spanId = spanId
  this.traceFlags = traceFlags
  this.isRemote = true
  this.traceState = undefined
})

/**
 * The span context a `traceparent` value names, or `undefined` when it is invalid. An array (the
 * field sent more than once) is invalid, as the spec's processing model has it.
 */
export function parseTraceparent(
  header: string | string[] | undefined,
): (SpanContext & { traceState: TraceState | undefined }) | undefined {
  if (typeof header !== 'string') {
    if (header === undefined || header.length !== 1) return undefined
    header = header[0] as string
  }
  // Leading and trailing optional whitespace is not part of the value.
  let start = 0
  let end = header.length
  while (start < end && (header.charCodeAt(start) === SPACE || header.charCodeAt(start) === TAB)) start++
  while (end > start && (header.charCodeAt(end - 1) === SPACE || header.charCodeAt(end - 1) === TAB)) end--
  const length = end - start
  if (length < TRACEPARENT_LENGTH) return undefined
  const high = hexValue(header.charCodeAt(start))
  const low = hexValue(header.charCodeAt(start + 1))
  if (high === -1 || low === -1 || header.charCodeAt(start + 2) !== DASH) return undefined
  const version = high * 16 + low
  if (version === 0xff) return undefined
  if (version === 0) {
    if (length !== TRACEPARENT_LENGTH) return undefined
  } else if (length > TRACEPARENT_LENGTH) {
    // A higher version may add fields after a dash; a comma means fields Node joined into one.
    if (header.charCodeAt(start + TRACEPARENT_LENGTH) !== DASH) return undefined
    const comma = header.indexOf(',', start + TRACEPARENT_LENGTH)
    if (comma !== -1 && comma < end) return undefined
  }
  if (!isId(header, start + 3, 32) || header.charCodeAt(start + 35) !== DASH) return undefined
  if (!isId(header, start + 36, 16) || header.charCodeAt(start + 52) !== DASH) return undefined
  const flagsHigh = hexValue(header.charCodeAt(start + 53))
  const flagsLow = hexValue(header.charCodeAt(start + 54))
  if (flagsHigh === -1 || flagsLow === -1) return undefined
  return new RemoteSpanContext(
    header.slice(start + 3, start + 35),
    header.slice(start + 36, start + 52),
    (flagsHigh * 16 + flagsLow) & KNOWN_FLAGS,
  )
}

/** The `traceparent` Sightline sends for `spanContext` (always version 00). */
export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${FLAGS_HEX[spanContext.traceFlags & KNOWN_FLAGS]}`
}

/** True when ids are of the right length, lowercase hex and not all zero (a scan, not a regex). */
function isValidSpanContext(spanContext: SpanContext): boolean {
  const { traceId, spanId } = spanContext
  return traceId.length === 32 && spanId.length === 16 && isId(traceId, 0, 32) && isId(spanId, 0, 16)
}

export class W3CTraceContext implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext === undefined || isTracingSuppressed(context) || !isValidSpanContext(spanContext)) return
    setter.set(carrier, TRACE_PARENT_HEADER, formatTraceparent(spanContext))
    // A received tracestate is sent on whatever the sampling decision; an empty one never is.
    const traceState = spanContext.traceState?.serialize()
    if (traceState) setter.set(carrier, TRACE_STATE_HEADER, traceState)
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const spanContext = parseTraceparent(getter.get(carrier, TRACE_PARENT_HEADER))
    if (spanContext === undefined) return context
    const traceState = getter.get(carrier, TRACE_STATE_HEADER)
    if (traceState !== undefined) {
      // Several fields are one list, joined as RFC 7230 has it (Node already joins them with ', ').
      spanContext.traceState = parseTraceState(typeof traceState === 'string' ? traceState : traceState.join(','))
    }
    return trace.setSpanContext(context, spanContext)
  }

  fields(): string[] {
    return [TRACE_PARENT_HEADER, TRACE_STATE_HEADER]
  }
}
