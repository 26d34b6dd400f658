/**
 * @module logging-otlp/access-record
 * The access line's OTLP LogRecord, written in the log export worker from the values the access log
 * captured (logging-otlp/access-capture) instead of scanned back out of the JSON line it built: the
 * one line every request writes costs the export a few copies of bytes made in advance, not a parse. The record is the one `LogEncoder`
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
import {
  type AccessBatch,
  FLAG_ABORTED,
  FLAG_ERROR,
  FLAG_TRACED,
  INTS_PER_RECORD,
  NUMBERS_PER_RECORD,
  type RouteEntry,
} from './access-capture.js'

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

/** Copies `source` into `buf` at `pos` (room already ensured); returns the position after it. */
function copy(buf: Uint8Array, pos: number, source: Uint8Array): number {
  buf.set(source, pos)
  return pos + source.length
}

/**
 * Writes `text.slice(from, to)` at `pos` when it is ASCII (ids, most paths) and returns its length, else -1 (what
 * it wrote is then overwritten by Buffer.write). A loop: for the tens of characters an id or a path
 * has, Buffer.write's call into C++ costs more than the copy.
 */
function writeAscii(buf: Uint8Array, pos: number, text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) return -1
    buf[pos++] = code
  }
  return to - from
}

/** The trace flags the line shows (two hex digits) as a number; 0 for anything else, as `parseInt || 0`. */
function traceFlagsOf(text: string, from: number, to: number): number {
  if (to - from === 2 && text.charCodeAt(from) === 0x30 && text.charCodeAt(from + 1) === 0x31) return 1
  return Number.parseInt(text.slice(from, to) || '0', 16) || 0
}

/** Bytes a varint of `value` takes. */
function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5
}

/**
 * Writes a string KeyValue's head at `pos`, room ensured: its tag and length, the key, the
 * AnyValue's tag and length, the string's tag and length. Returns the position after it.
 */
function stringHead(w: ProtoWriter, pos: number, key: Uint8Array, bytes: number): number {
  const buf = w.buf
  const anyLength = 1 + varintSize(bytes) + bytes
  buf[pos] = ATTRIBUTE_TAG
  w.pos = pos + 1
  w.varint(key.length + 1 + varintSize(anyLength) + anyLength)
  pos = copy(buf, w.pos, key)
  buf[pos] = VALUE_TAG
  w.pos = pos + 1
  w.varint(anyLength)
  buf[w.pos++] = STRING_VALUE_TAG
  w.varint(bytes)
  return w.pos
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

/** No route attributes: a key the worker was never told (it cannot happen; a record is still written). */
const NO_ROUTE = new Uint8Array(0)

/** The method and route attributes of a route key, encoded once. */
function routeAttributes(methodName: string, template: string): Uint8Array {
  const methodBytes = constantAttribute('method', (w) => w.string(1, methodName))
  const routeBytes = constantAttribute('route', (w) => w.string(1, template))
  return Buffer.concat([methodBytes, routeBytes])
}

/** One per log export worker: the pieces made in advance, and the writes of records. */
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
  /** The method and route attributes, by route key. */
  private readonly routes: Uint8Array[] = []
  /** The status attribute by status code (HTTP's are three digits). */
  private readonly statuses: Uint8Array[] = []
  /** The time and observed-time fields of the last millisecond written (many records share one). */
  private readonly timeFields = new ProtoWriter(TIMES_BYTES)
  private timeMillis = -1
  private timeBytes: Uint8Array = new Uint8Array(0)
  /** The record being written: where its strings start in the batch's text (and the last ends). */
  private readonly ranges = new Int32Array(7)
  /** Where the batch's text is in the buffer as bytes (written there when it is ASCII), else -1. */
  private textAt = -1

  constructor(message: string) {
    this.info = severityAndBody(9, 'INFO', message)
    this.warn = severityAndBody(13, 'WARN', message)
    this.error = severityAndBody(17, 'ERROR', message)
  }

  /** Learns the batch's new route keys and appends its records (fields 2 of ScopeLogs); returns how many. */
  writeBatch(w: ProtoWriter, batch: AccessBatch): number {
    this.learn(batch.routes)
    const { numbers, ints, text } = batch
    // The batch's text, as bytes, goes ahead of its records in the buffer when it is ASCII (ids,
    // templates, most paths): each of a record's strings is then one copyWithin of them, not a loop
    // over its characters. It is moved out from under the records at the end.
    const textAt = w.pos
    const textBytes = text.length
    const ascii = Buffer.byteLength(text, 'utf8') === textBytes
    this.textAt = ascii ? textAt : -1
    if (ascii) {
      w.ensure(textBytes)
      w.pos += w.buf.write(text, textAt, 'latin1')
    }
    const recordsAt = w.pos
    let at = 0
    for (let i = 0; i < batch.count; i++) {
      const n = i * NUMBERS_PER_RECORD
      const k = i * INTS_PER_RECORD
      // Where each of the record's strings starts in the batch's text, and where the last ends.
      const ranges = this.ranges
      ranges[0] = at
      for (let j = 0; j < 6; j++) {
        at += ints[k + 3 + j] as number
        ranges[j + 1] = at
      }
      const requestBytes = numbers[n + 2] as number
      const responseBytes = numbers[n + 3] as number
      this.write(
        w,
        text,
        ints[k + 1] as number,
        numbers[n] as number,
        this.routes[ints[k + 2] as number] ?? NO_ROUTE,
        ints[k] as number,
        numbers[n + 1] as number,
        requestBytes < 0 ? undefined : requestBytes,
        responseBytes < 0 ? undefined : responseBytes,
      )
    }
    if (ascii) {
      w.buf.copyWithin(textAt, recordsAt, w.pos)
      w.pos -= textBytes
    }
    this.textAt = -1
    return batch.count
  }

  /** Route keys and what they stand for, from the application's thread. */
  learn(routes: readonly RouteEntry[]): void {
    for (const [key, methodName, template] of routes) this.routes[key] = routeAttributes(methodName, template)
  }

  /**
   * Appends one record whose strings are the ranges of `text` in `this.ranges` (request id, path,
   * trace id, span id, trace flags, error; empty for those it has not), its level and flags in
   * `bits`. `durationMs` is rounded to the microsecond, as the line prints it.
   */
  private write(
    w: ProtoWriter,
    text: string,
    bits: number,
    millis: number,
    routeBytes: Uint8Array,
    status: number,
    durationMs: number,
    requestBytes: number | undefined,
    responseBytes: number | undefined,
  ): void {
    const ranges = this.ranges
    const level = bits & 0xff
    const statusBytes = this.statusAttribute(status)
    w.ensure(3)
    w.buf[w.pos] = RECORD_TAG
    w.pos += 3
    const start = w.pos
    this.stringAttribute(w, this.requestIdKey, text, ranges[0] as number, ranges[1] as number)
    // Each piece's room is made after the value before it: a value can fill the buffer.
    w.ensure(routeBytes.length)
    w.pos = copy(w.buf, w.pos, routeBytes)
    this.stringAttribute(w, this.pathKey, text, ranges[1] as number, ranges[2] as number)
    w.ensure(statusBytes.length)
    w.pos = copy(w.buf, w.pos, statusBytes)
    this.numberAttribute(w, this.durationKey, Math.round(durationMs * 1000) / 1000)
    if (requestBytes !== undefined) this.numberAttribute(w, this.requestBytesKey, requestBytes)
    if (responseBytes !== undefined) this.numberAttribute(w, this.responseBytesKey, responseBytes)
    if ((bits & FLAG_ABORTED) !== 0) w.bytes(this.aborted)
    if ((bits & FLAG_ERROR) !== 0) this.stringAttribute(w, this.errKey, text, ranges[5] as number, ranges[6] as number)
    const tail = level >= LEVEL_ERROR ? this.error : level >= LEVEL_WARN ? this.warn : this.info
    w.ensure(TIMES_BYTES + tail.length)
    w.pos = copy(w.buf, w.pos, this.times(millis))
    w.pos = copy(w.buf, w.pos, tail)
    if ((bits & FLAG_TRACED) !== 0) {
      const traceStart = ranges[2] as number
      const spanStart = ranges[3] as number
      const flagsStart = ranges[4] as number
      w.tag(8, FIXED32)
      w.fixed32(traceFlagsOf(text, flagsStart, ranges[5] as number))
      // Ids of other lengths (never made by Sightline) are left out, as the line's scanner does.
      if (spanStart - traceStart === 32) w.hexBytes(9, text, traceStart, 32)
      if (flagsStart - spanStart === 16) w.hexBytes(10, text, spanStart, 16)
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

  /**
   * A KeyValue with a string value: the key made in advance, the value copied from the batch's text
   * in the buffer (or, for a batch that is not all ASCII, encoded on its own).
   */
  private stringAttribute(w: ProtoWriter, key: Uint8Array, text: string, from: number, to: number): void {
    const textAt = this.textAt
    if (textAt < 0) {
      this.utf8Attribute(w, key, text, from, to)
      return
    }
    const bytes = to - from
    const anyLength = 1 + varintSize(bytes) + bytes
    const keyValueLength = key.length + 1 + varintSize(anyLength) + anyLength
    // Room for the lengths' varints too, so none of the writes below moves the buffer.
    w.ensure(12 + keyValueLength)
    const buf = w.buf
    let pos = w.pos
    if (keyValueLength < 0x80) {
      // Every length one byte, as ids and most paths have.
      buf[pos] = ATTRIBUTE_TAG
      buf[pos + 1] = keyValueLength
      pos = copy(buf, pos + 2, key)
      buf[pos] = VALUE_TAG
      buf[pos + 1] = anyLength
      buf[pos + 2] = STRING_VALUE_TAG
      buf[pos + 3] = bytes
      pos += 4
    } else pos = stringHead(w, pos, key, bytes)
    buf.copyWithin(pos, textAt + from, textAt + to)
    w.pos = pos + bytes
  }

  /** `stringAttribute` for a batch whose text has other characters than ASCII: each value encoded on its own. */
  private utf8Attribute(w: ProtoWriter, key: Uint8Array, text: string, from: number, to: number): void {
    // The value's length in bytes is its length in characters when it is ASCII (ids, most paths):
    // the lengths before it are written for that, and rewritten if the UTF-8 came out longer.
    const guess = to - from
    w.ensure(key.length + 12 + guess * 3)
    const head = w.pos
    let bytes = guess
    let valueAt = head + this.headSize(key, bytes)
    bytes = writeAscii(w.buf, valueAt, text, from, to)
    if (bytes === -1) bytes = w.buf.write(text.slice(from, to), valueAt, 'utf8')
    if (bytes !== guess) {
      const at = head + this.headSize(key, bytes)
      if (at !== valueAt) w.buf.copyWithin(at, valueAt, valueAt + bytes)
      valueAt = at
    }
    stringHead(w, head, key, bytes)
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
    let pos = w.pos
    buf[pos] = ATTRIBUTE_TAG
    buf[pos + 1] = key.length + 2 + valueLength
    pos = copy(buf, pos + 2, key)
    buf[pos] = VALUE_TAG
    buf[pos + 1] = valueLength
    if (integer) {
      buf[pos + 2] = INT_VALUE_TAG
      w.pos = pos + 3
      w.varint(value)
    } else {
      buf[pos + 2] = DOUBLE_VALUE_TAG
      w.pos = pos + 3
      w.double(value)
    }
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
