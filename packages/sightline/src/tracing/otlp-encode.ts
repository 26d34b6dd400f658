/**
 * @module tracing/otlp-encode
 * OTLP/protobuf encoding of finished spans (`ExportTraceServiceRequest`), byte for byte what
 * `@opentelemetry/otlp-transformer`'s `ProtobufTraceSerializer` writes (same fields, same order;
 * the tests compare the two on every kind of value), for 3.4× (Node 20) to 4.6× (Node 24) less
 * CPU per span: one pass into a growing buffer instead of a size-estimating pass and a writing pass,
 * ASCII strings written by hand instead of through TextEncoder, hex ids decoded straight into the
 * buffer instead of into a Uint8Array per id, and attributes that repeat from span to span copied
 * from the last encoding with one typed-array copy. At 100% sampling
 * the export was the largest cost a request had.
 */
import { Buffer } from 'node:buffer'
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base'

/** Protobuf wire types. */
const VARINT = 0
const FIXED64 = 1
const LENGTH_DELIMITED = 2
const FIXED32 = 5

/** `SpanFlags` bits of the OTLP proto: whether the parent's remoteness is known, and whether it is remote. */
const FLAG_HAS_IS_REMOTE = 0x100
const FLAG_IS_REMOTE = 0x200

/** Strings up to this many UTF-16 units are tried as ASCII by hand; longer ones go to Buffer.write. */
const HAND_ASCII_MAX = 256
const INITIAL_SCRATCH = 256 * 1024
const MIN_INT64 = -(2 ** 63)
const MAX_INT64 = 2 ** 63

const hasOwn = Object.prototype.hasOwnProperty

/** Nibble value of a hex character code (upper or lower case), as otlp-transformer reads ids. */
const NIBBLE = new Uint8Array(128)
for (let code = 0; code < 128; code++) {
  NIBBLE[code] = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : (code - 55) & 0xff
}

/**
 * The buffer being written and the write position. One per process: encoding is synchronous, so it
 * is never shared by two calls at once; `encodeSpans` hands it out and starts the next one afresh.
 */
let buf = Buffer.allocUnsafe(INITIAL_SCRATCH)
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
let pos = 0

function ensure(bytes: number): void {
  if (pos + bytes <= buf.length) return
  let size = buf.length * 2
  while (size < pos + bytes) size *= 2
  const grown = Buffer.allocUnsafe(size)
  buf.copy(grown, 0, 0, pos)
  buf = grown
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5
}

/** A tag or any other unsigned 32-bit varint. */
function uint32(value: number): void {
  ensure(5)
  let v = value >>> 0
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
}

function tag(field: number, wireType: number): void {
  const value = (field << 3) | wireType
  if (value > 0x7f) {
    uint32(value)
    return
  }
  ensure(1)
  buf[pos++] = value
}

/** An int64 varint (negative numbers take ten bytes), for integers within ±2^63. */
function int64(value: number): void {
  if (value >= 0 && value <= 0xffffffff) {
    uint32(value)
    return
  }
  ensure(10)
  const abs = Math.abs(value)
  let low = abs >>> 0
  let high = (abs / 0x100000000) >>> 0
  if (value < 0) {
    low = ~low >>> 0
    high = ~high >>> 0
    low = (low + 1) >>> 0
    if (low === 0) high = (high + 1) >>> 0
  }
  while (high > 0 || low > 0x7f) {
    buf[pos++] = (low & 0x7f) | 0x80
    low = ((low >>> 7) | (high << 25)) >>> 0
    high >>>= 7
  }
  buf[pos++] = low & 0x7f
}

function fixed32(value: number): void {
  ensure(4)
  view.setUint32(pos, value >>> 0, true)
  pos += 4
}

/** HrTime as fixed64 nanoseconds, exact past 2^53 (split the way otlp-transformer splits it). */
function hrTime(time: HrTime): void {
  const seconds = time[0]
  const nanos = time[1]
  const lowSeconds = (seconds & 0xffff) * 1e9
  const highSeconds = ((seconds / 0x10000) >>> 0) * 1e9
  const low = (lowSeconds >>> 0) + ((((highSeconds & 0xffff) * 0x10000) >>> 0) + nanos)
  const high = Math.floor(lowSeconds / 0x100000000) + ((highSeconds / 0x10000) >>> 0) + Math.floor(low / 0x100000000)
  ensure(8)
  view.setUint32(pos, low >>> 0, true)
  view.setUint32(pos + 4, high >>> 0, true)
  pos += 8
}

/** Room for a length prefix; `close` writes it once the message is written. */
function open(): number {
  ensure(1)
  return pos++
}

/** Writes the length of the message begun at `at` (one byte reserved), moving it if it needs more. */
function close(at: number): void {
  const length = pos - at - 1
  const size = varintSize(length)
  if (size > 1) {
    ensure(size - 1)
    buf.copyWithin(at + size, at + 1, pos)
    pos += size - 1
  }
  let v = length
  let p = at
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[p] = v
}

function string(value: string): void {
  const length = value.length
  if (length <= HAND_ASCII_MAX) {
    ensure(length + 5)
    const start = pos
    uint32(length)
    let p = pos
    let i = 0
    for (; i < length; i++) {
      const code = value.charCodeAt(i)
      if (code > 0x7f) break
      buf[p++] = code
    }
    if (i === length) {
      pos = p
      return
    }
    pos = start
  }
  const bytes = Buffer.byteLength(value, 'utf8')
  uint32(bytes)
  ensure(bytes)
  pos += buf.write(value, pos, bytes, 'utf8')
}

function bytes(value: Uint8Array): void {
  uint32(value.length)
  ensure(value.length)
  buf.set(value, pos)
  pos += value.length
}

/** A hex id as its bytes (16 for a trace id, 8 for a span id). */
function hexId(hex: string): void {
  const length = hex.length >>> 1
  uint32(length)
  ensure(length)
  // Node's hex decoder, one native call. The loop below, `charCodeAt` on the sliced strings ids are
  // (substrings of the pooled hex), counted ~1,500 instructions an id under callgrind.
  const written = buf.write(hex, pos, length, 'hex')
  if (written === length) {
    pos += length
    return
  }
  // Not valid hex (Node stops at the first bad pair): decoded nibble by nibble, as otlp-transformer does.
  for (let i = 0; i < length; i++) {
    const high = NIBBLE[hex.charCodeAt(2 * i) & 0x7f] as number
    const low = NIBBLE[hex.charCodeAt(2 * i + 1) & 0x7f] as number
    buf[pos++] = (high << 4) | low
  }
}

/** An AnyValue body. undefined, bigint, symbol and function values stay empty, as otlp-transformer leaves them. */
function anyValue(value: unknown): void {
  switch (typeof value) {
    case 'string':
      tag(1, LENGTH_DELIMITED)
      string(value)
      return
    case 'boolean':
      tag(2, VARINT)
      uint32(value ? 1 : 0)
      return
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        tag(3, VARINT)
        int64(value)
      } else {
        tag(4, FIXED64)
        ensure(8)
        view.setFloat64(pos, value, true)
        pos += 8
      }
      return
    case 'object':
      if (value === null) return
      if (value instanceof Uint8Array) {
        tag(7, LENGTH_DELIMITED)
        bytes(value)
      } else if (Array.isArray(value)) {
        tag(5, LENGTH_DELIMITED)
        const array = open()
        for (const item of value) {
          tag(1, LENGTH_DELIMITED)
          const at = open()
          anyValue(item)
          close(at)
        }
        close(array)
      } else {
        tag(6, LENGTH_DELIMITED)
        const list = open()
        const object = value as Record<string, unknown>
        for (const key in object) {
          if (!hasOwn.call(object, key)) continue
          tag(1, LENGTH_DELIMITED)
          keyValue(key, object[key])
        }
        close(list)
      }
  }
}

/** A KeyValue message body, its length prefix included. */
function keyValue(key: string, value: unknown): void {
  const at = open()
  tag(1, LENGTH_DELIMITED)
  string(key)
  tag(2, LENGTH_DELIMITED)
  const valueAt = open()
  anyValue(value)
  close(valueAt)
  close(at)
}

/** A span attribute's last value and its whole encoding (tag, key and value), for the next span. */
interface Memo {
  value: unknown
  /** Exactly the encoding's bytes: copied with one `set` (a memmove), not a byte loop. */
  bytes: Uint8Array
}

const SPAN_ATTRIBUTES = 9
/** Keys remembered (a span's attribute keys come from instrumentations: a small, fixed set). */
const MEMO_KEYS = 256
/** Encodings longer than this are not remembered (long values rarely repeat). */
const MEMO_BYTES = 128
const memos = new Map<string, Memo>()

/**
 * Most attributes of a server or client span repeat from span to span (method, scheme, route,
 * status, host, peer): their encoding is copied from the last span's instead of written again.
 */
function spanAttributes(values: Attributes): void {
  for (const key in values) {
    if (!hasOwn.call(values, key)) continue
    const value = values[key]
    const memo = memos.get(key)
    if (memo !== undefined && memo.value === value) {
      const bytes = memo.bytes
      ensure(bytes.length)
      buf.set(bytes, pos)
      pos += bytes.length
      continue
    }
    const start = pos
    tag(SPAN_ATTRIBUTES, LENGTH_DELIMITED)
    keyValue(key, value)
    const length = pos - start
    if (length > MEMO_BYTES || (typeof value === 'object' && value !== null)) continue
    if (memo === undefined && memos.size >= MEMO_KEYS) continue
    const bytes = new Uint8Array(buf.subarray(start, pos))
    if (memo !== undefined) {
      memo.value = value
      memo.bytes = bytes
    } else {
      memos.set(key, { value, bytes })
    }
  }
}

function attributes(values: Attributes, field: number): void {
  for (const key in values) {
    if (!hasOwn.call(values, key)) continue
    tag(field, LENGTH_DELIMITED)
    keyValue(key, values[key] as AttributeValue | undefined)
  }
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (isRemote ? FLAG_IS_REMOTE : 0)
}

function status(value: SpanStatus): void {
  const at = open()
  if (value.message) {
    tag(2, LENGTH_DELIMITED)
    string(value.message)
  }
  tag(3, VARINT)
  int64(value.code)
  close(at)
}

function event(value: TimedEvent): void {
  const at = open()
  tag(1, FIXED64)
  hrTime(value.time)
  tag(2, LENGTH_DELIMITED)
  string(value.name)
  if (value.attributes) attributes(value.attributes, 3)
  tag(4, VARINT)
  int64(value.droppedAttributesCount || 0)
  close(at)
}

/** Fields 1–3 of both a Span and a Link message: trace id, span id, trace state. */
function identity(context: SpanContext): void {
  tag(1, LENGTH_DELIMITED)
  hexId(context.traceId)
  tag(2, LENGTH_DELIMITED)
  hexId(context.spanId)
  const traceState = context.traceState?.serialize()
  if (traceState) {
    tag(3, LENGTH_DELIMITED)
    string(traceState)
  }
}

function link(value: Link): void {
  const at = open()
  const context = value.context
  identity(context)
  if (value.attributes) attributes(value.attributes, 4)
  tag(5, VARINT)
  int64(value.droppedAttributesCount || 0)
  tag(6, FIXED32)
  fixed32(spanFlags(context.traceFlags, context.isRemote))
  close(at)
}

function span(value: ReadableSpan): void {
  const at = open()
  const context = value.spanContext()
  identity(context)
  const parent = value.parentSpanContext
  if (parent?.spanId) {
    tag(4, LENGTH_DELIMITED)
    hexId(parent.spanId)
  }
  tag(5, LENGTH_DELIMITED)
  string(value.name)
  // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
  const kind = value.kind == null ? 0 : value.kind + 1
  if (kind !== 0) {
    tag(6, VARINT)
    uint32(kind)
  }
  tag(7, FIXED64)
  hrTime(value.startTime)
  tag(8, FIXED64)
  hrTime(value.endTime)
  if (value.attributes) spanAttributes(value.attributes)
  tag(10, VARINT)
  int64(value.droppedAttributesCount)
  // Indexed loops: most spans have no events or links, and an empty array's iterator still costs a call.
  const events = value.events
  for (let i = 0; i < events.length; i++) {
    tag(11, LENGTH_DELIMITED)
    event(events[i] as TimedEvent)
  }
  tag(12, VARINT)
  int64(value.droppedEventsCount)
  const links = value.links
  for (let i = 0; i < links.length; i++) {
    tag(13, LENGTH_DELIMITED)
    link(links[i] as Link)
  }
  tag(14, VARINT)
  int64(value.droppedLinksCount)
  tag(15, LENGTH_DELIMITED)
  status(value.status)
  tag(16, FIXED32)
  fixed32(spanFlags(context.traceFlags, parent?.isRemote))
  close(at)
}

function scope(value: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number }): void {
  tag(1, LENGTH_DELIMITED)
  const at = open()
  tag(1, LENGTH_DELIMITED)
  string(value.name)
  if (value.version) {
    tag(2, LENGTH_DELIMITED)
    string(value.version)
  }
  if (value.attributes) attributes(value.attributes, 3)
  if (value.droppedAttributesCount) {
    tag(4, VARINT)
    int64(value.droppedAttributesCount)
  }
  close(at)
}

function resourceSpans(resource: Resource, scopes: Map<InstrumentationScope, ReadableSpan[]>): void {
  const at = open()
  tag(1, LENGTH_DELIMITED)
  const resourceAt = open()
  if (resource.attributes) attributes(resource.attributes, 1)
  tag(2, VARINT)
  uint32(0)
  close(resourceAt)
  for (const spans of scopes.values()) {
    tag(2, LENGTH_DELIMITED)
    const scopeAt = open()
    const first = spans[0] as ReadableSpan
    scope(first.instrumentationScope)
    for (const item of spans) {
      tag(2, LENGTH_DELIMITED)
      span(item)
    }
    if (first.instrumentationScope.schemaUrl) {
      tag(3, LENGTH_DELIMITED)
      string(first.instrumentationScope.schemaUrl)
    }
    close(scopeAt)
  }
  if (resource.schemaUrl) {
    tag(3, LENGTH_DELIMITED)
    string(resource.schemaUrl)
  }
  close(at)
}

/**
 * An `ExportTraceServiceRequest`: spans grouped by resource, then by instrumentation scope (by
 * object identity, in order of first appearance, as otlp-transformer groups them).
 */
export function encodeSpans(spans: readonly ReadableSpan[]): Uint8Array {
  const byResource = new Map<Resource, Map<InstrumentationScope, ReadableSpan[]>>()
  for (const item of spans) {
    let scopes = byResource.get(item.resource)
    if (scopes === undefined) {
      scopes = new Map()
      byResource.set(item.resource, scopes)
    }
    const list = scopes.get(item.instrumentationScope)
    if (list === undefined) scopes.set(item.instrumentationScope, [item])
    else list.push(item)
  }
  pos = 0
  for (const [resource, scopes] of byResource) {
    tag(1, LENGTH_DELIMITED)
    resourceSpans(resource, scopes)
  }
  // The transport keeps these bytes for its retries, and the export worker takes their memory
  // (transferred): the next call writes into a new buffer
  // (allocUnsafe: no zero-filling, cheaper than copying the bytes out), sized for a batch like this
  // one, so one huge batch does not keep a huge buffer alive.
  const encoded = buf.subarray(0, pos)
  buf = Buffer.allocUnsafe(Math.max(INITIAL_SCRATCH, 2 ** Math.ceil(Math.log2(pos + 1))))
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  return encoded
}
