/**
 * @module logging-otlp/access-record
 * The access line's OTLP LogRecord, written from the values the access log already holds instead of
 * scanned back out of the JSON line it has just built: the one line every request writes costs the
 * export a few copies of bytes made in advance, not a parse. The record is the one `LogEncoder`
 * makes of the same line (the same attributes, in the same order, the same types; its test compares
 * the bytes), so a backend cannot tell the two paths apart.
 *
 * Only values Sightline made go in here (ids, the route template, the method, the status, numbers,
 * the path the line shows, the error as the line serialises it): nothing pino's redaction would
 * have to censor, which is why the application's own lines still take the scanner.
 *
 * What does not change from request to request is encoded once: each attribute's key, the method
 * and route attributes per route and method, the status attribute per status, the severity and
 * body per level. A request writes its ids, path, numbers and times, and the lengths around them.
 */
import { Buffer } from 'node:buffer'
import { FIXED32, FIXED64, LENGTH_DELIMITED, ProtoWriter, VARINT } from '../core/otlp/proto-writer.js'
import type { RouteState } from '../core/pipeline/routes.js'

/** Where the access log hands its records when log export is on (the log tee). */
export interface AccessRecordSink {
  /** Where the line itself goes: stdout, without queuing it for export (its record is). */
  readonly destination: { write(line: string): unknown }
  /**
   * The writer to append one LogRecord (field 2 of ScopeLogs) to, or `undefined` when the export
   * queue is full (the sink counts the drop). `endRecord` must follow a writer, synchronously.
   */
  beginRecord(): ProtoWriter | undefined
  endRecord(): void
}

const LEVEL_WARN = 40
const LEVEL_ERROR = 50
/** Field 2 of ScopeLogs (a LogRecord), field 6 of LogRecord (a KeyValue), field 2 of KeyValue (its AnyValue). */
const RECORD_TAG = (2 << 3) | LENGTH_DELIMITED
const ATTRIBUTE_TAG = (6 << 3) | LENGTH_DELIMITED
const VALUE_TAG = (2 << 3) | LENGTH_DELIMITED
const STRING_VALUE_TAG = (1 << 3) | LENGTH_DELIMITED
const INT_VALUE_TAG = (3 << 3) | VARINT
const DOUBLE_VALUE_TAG = (4 << 3) | FIXED64
/** A record's length is kept two bytes (records are 128 bytes to 16 KB): no move once it is known. */
const TWO_BYTE_LENGTHS = 0x4000
/** Two tags and two fixed64s. */
const TIMES_BYTES = 18

/** `KeyValue.key` (field 1) of `key`, encoded once. */
function keyField(key: string): Uint8Array {
  const bytes = Buffer.from(key, 'utf8')
  return Uint8Array.of(0x0a, bytes.length, ...bytes)
}

/** A whole KeyValue, encoded once: how the constant attributes are made. */
function constantAttribute(key: string, write: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(256)
  const keyValue = w.beginMessage(6)
  w.string(1, key)
  const value = w.beginMessage(2)
  write(w)
  w.endMessage(value)
  w.endMessage(keyValue)
  return w.take()
}

/**
 * Copies `source` into `buf` at `pos` (room already ensured); returns the position after it. A loop:
 * the pieces are tens of bytes, where `TypedArray.prototype.set`'s call costs more than the copy.
 */
function copy(buf: Uint8Array, pos: number, source: Uint8Array): number {
  for (let i = 0; i < source.length; i++) buf[pos++] = source[i] as number
  return pos
}

/** Bytes a varint of `value` takes. */
function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5
}

function severityAndBody(number: number, text: string, message: string): Uint8Array {
  const w = new ProtoWriter(256)
  w.tag(2, VARINT)
  w.varint(number)
  w.string(3, text)
  const body = w.beginMessage(5)
  w.string(1, message)
  w.endMessage(body)
  return w.take()
}

/** One per access log: the pieces made in advance, and the writes of a record. */
export class AccessRecordWriter {
  private readonly requestIdKey = keyField('request_id')
  private readonly pathKey = keyField('path')
  private readonly durationKey = keyField('duration_ms')
  private readonly requestBytesKey = keyField('req_bytes')
  private readonly responseBytesKey = keyField('res_bytes')
  private readonly errKey = keyField('err')
  private readonly aborted = constantAttribute('aborted', (w) => {
    w.tag(2, VARINT)
    w.varint(1)
  })
  private readonly info: Uint8Array
  private readonly warn: Uint8Array
  private readonly error: Uint8Array
  /** The method and route attributes, by route and method index. */
  private readonly routes = new Map<RouteState, Uint8Array[]>()
  /** The status attribute by status code (HTTP's are three digits). */
  private readonly statuses: Uint8Array[] = []
  /** The time and observed-time fields of the last millisecond written (many records share one). */
  private readonly timeFields = new ProtoWriter(TIMES_BYTES)
  private timeMillis = -1
  private timeBytes: Uint8Array = new Uint8Array(0)

  constructor(message: string) {
    this.info = severityAndBody(9, 'INFO', message)
    this.warn = severityAndBody(13, 'WARN', message)
    this.error = severityAndBody(17, 'ERROR', message)
  }

  /**
   * Appends one record. Positional, like the access log's own write (one call per request: no
   * object per call). `durationMs` is rounded to the microsecond, as the line prints it.
   */
  write(
    w: ProtoWriter,
    level: number,
    millis: number,
    requestId: string,
    traceId: string | undefined,
    spanId: string | undefined,
    traceFlags: string | undefined,
    route: RouteState,
    method: number,
    methodName: string,
    path: string,
    status: number,
    durationMs: number,
    requestBytes: number | undefined,
    responseBytes: number | undefined,
    aborted: boolean,
    errorJson: string | undefined,
  ): void {
    const routeBytes = this.routeAttributes(route, method, methodName)
    const statusBytes = this.statusAttribute(status)
    w.ensure(3 + routeBytes.length + statusBytes.length)
    w.buf[w.pos] = RECORD_TAG
    w.pos += 3
    const start = w.pos
    this.stringAttribute(w, this.requestIdKey, requestId)
    w.pos = copy(w.buf, w.pos, routeBytes)
    this.stringAttribute(w, this.pathKey, path)
    w.ensure(statusBytes.length)
    w.pos = copy(w.buf, w.pos, statusBytes)
    this.numberAttribute(w, this.durationKey, Math.round(durationMs * 1000) / 1000)
    if (requestBytes !== undefined) this.numberAttribute(w, this.requestBytesKey, requestBytes)
    if (responseBytes !== undefined) this.numberAttribute(w, this.responseBytesKey, responseBytes)
    if (aborted) w.bytes(this.aborted)
    if (errorJson !== undefined) this.stringAttribute(w, this.errKey, errorJson)
    const tail = level >= LEVEL_ERROR ? this.error : level >= LEVEL_WARN ? this.warn : this.info
    w.ensure(TIMES_BYTES + tail.length)
    w.pos = copy(w.buf, w.pos, this.times(millis))
    w.pos = copy(w.buf, w.pos, tail)
    if (traceId !== undefined && spanId !== undefined) {
      w.tag(8, FIXED32)
      w.fixed32(traceFlags === '01' ? 1 : Number.parseInt(traceFlags ?? '0', 16) || 0)
      if (traceId.length === 32) w.hexBytes(9, traceId, 0, 32)
      if (spanId.length === 16) w.hexBytes(10, spanId, 0, 16)
    }
    const length = w.pos - start
    if (length >= 0x80 && length < TWO_BYTE_LENGTHS) {
      w.buf[start - 2] = (length & 0x7f) | 0x80
      w.buf[start - 1] = length >> 7
    } else {
      // Shorter or longer than two bytes of length say: moved, as any nested message is.
      const end = w.pos
      const size = varintSize(length)
      w.ensure(size)
      w.buf.copyWithin(start - 2 + size, start, end)
      w.pos = start - 2
      w.varint(length)
      w.pos += length
    }
  }

  /** `time_unix_nano` and `observed_time_unix_nano` (fields 1 and 11) of `millis`: made once per millisecond. */
  private times(millis: number): Uint8Array {
    if (millis !== this.timeMillis) {
      const w = this.timeFields
      w.pos = 0
      w.tag(1, FIXED64)
      w.millisAsNanos(millis)
      w.tag(11, FIXED64)
      w.millisAsNanos(millis)
      this.timeBytes = w.buf.subarray(0, w.pos)
      this.timeMillis = millis
    }
    return this.timeBytes
  }

  /** A KeyValue with a string value: the key made in advance, the value's UTF-8 written by Buffer. */
  private stringAttribute(w: ProtoWriter, key: Uint8Array, value: string): void {
    // The value's length in bytes is its length in characters when it is ASCII (ids, most paths):
    // the lengths before it are written for that, and rewritten if the UTF-8 came out longer.
    const guess = value.length
    w.ensure(key.length + 12 + guess * 3)
    const head = w.pos
    let bytes = guess
    let valueAt = head + this.headSize(key, bytes)
    bytes = w.buf.write(value, valueAt, 'utf8')
    if (bytes !== guess) {
      const at = head + this.headSize(key, bytes)
      if (at !== valueAt) w.buf.copyWithin(at, valueAt, valueAt + bytes)
      valueAt = at
    }
    const buf = w.buf
    const anyLength = 1 + varintSize(bytes) + bytes
    let pos = head
    buf[pos++] = ATTRIBUTE_TAG
    w.pos = pos
    w.varint(key.length + 1 + varintSize(anyLength) + anyLength)
    pos = copy(buf, w.pos, key)
    buf[pos++] = VALUE_TAG
    w.pos = pos
    w.varint(anyLength)
    buf[w.pos++] = STRING_VALUE_TAG
    w.varint(bytes)
    w.pos = valueAt + bytes
  }

  /** Bytes before a string value of `bytes` bytes: the KeyValue's tag and length, its key, the AnyValue's. */
  private headSize(key: Uint8Array, bytes: number): number {
    const anyLength = 1 + varintSize(bytes) + bytes
    const keyValueLength = key.length + 1 + varintSize(anyLength) + anyLength
    return 1 + varintSize(keyValueLength) + key.length + 1 + varintSize(anyLength) + 1 + varintSize(bytes)
  }

  /** A KeyValue with a number: an int64 when it is a safe integer (as the line's scanner reads it), else a double. */
  private numberAttribute(w: ProtoWriter, key: Uint8Array, value: number): void {
    w.ensure(key.length + 16)
    const buf = w.buf
    const integer = Number.isSafeInteger(value) && value >= 0
    if (!integer && Number.isSafeInteger(value)) {
      // A negative integer: ten bytes of two's complement; rare enough for the general path.
      const keyValue = w.beginMessage(6)
      w.bytes(key)
      const any = w.beginMessage(2)
      w.tag(3, VARINT)
      w.int64(value)
      w.endMessage(any)
      w.endMessage(keyValue)
      return
    }
    const valueLength = integer ? 1 + varintSize(value) : 9
    buf[w.pos++] = ATTRIBUTE_TAG
    buf[w.pos++] = key.length + 2 + valueLength
    w.pos = copy(buf, w.pos, key)
    buf[w.pos++] = VALUE_TAG
    buf[w.pos++] = valueLength
    if (integer) {
      buf[w.pos++] = INT_VALUE_TAG
      w.varint(value)
    } else {
      buf[w.pos++] = DOUBLE_VALUE_TAG
      w.double(value)
    }
  }

  private routeAttributes(route: RouteState, method: number, methodName: string): Uint8Array {
    let byMethod = this.routes.get(route)
    if (byMethod === undefined) {
      byMethod = []
      this.routes.set(route, byMethod)
    }
    let bytes = byMethod[method]
    if (bytes === undefined) {
      const methodBytes = constantAttribute('method', (w) => w.string(1, methodName))
      const routeBytes = constantAttribute('route', (w) => w.string(1, route.template))
      bytes = Buffer.concat([methodBytes, routeBytes])
      byMethod[method] = bytes
    }
    return bytes
  }

  private statusAttribute(status: number): Uint8Array {
    const cached = this.statuses[status]
    if (cached !== undefined) return cached
    const w = new ProtoWriter(64)
    this.numberAttribute(w, keyField('status'), status)
    const bytes = w.take()
    if (Number.isInteger(status) && status >= 0 && status < 1000) this.statuses[status] = bytes
    return bytes
  }
}
