/**
 * @module logging-otlp/encode-protobuf
 * Sightline's JSON log lines (pino's, and the access log's hand-built ones) as an OTLP/protobuf
 * `ExportLogsServiceRequest`, read by a scanner of the line's top-level fields instead of
 * JSON.parse: no object is built per line, string values are copied from the line into the
 * protobuf buffer and only strings with escapes are decoded (by JSON.parse, of that string alone).
 * `msg` becomes the body, `level` the severity, `time` the timestamp, `trace_id`/`span_id`/
 * `trace_flags` the record's trace context (so a viewer or backend links the line to its span),
 * `service` the resource's `service.name`; every other field is an attribute: strings, numbers and
 * booleans as themselves, objects and arrays as their JSON text, nulls left out.
 *
 * Why a scanner: Sightline's lines are flat, compact JSON it wrote itself, so one pass with
 * `indexOf` finds every field; JSON.parse would build an object (and a string per value) only for
 * it to be walked and dropped. The figures are in docs/performance.md.
 */

import { FIXED32, FIXED64, ProtoWriter, VARINT } from '../core/otlp/proto-writer.js'
import { ATTR_SERVICE_NAME } from '../core/semconv.js'

/** pino's level labels, their OTLP severity numbers (the first of each OTLP range) and texts. */
const LEVELS = [
  { label: 'trace', number: 1, text: 'TRACE', pino: 10 },
  { label: 'debug', number: 5, text: 'DEBUG', pino: 20 },
  { label: 'info', number: 9, text: 'INFO', pino: 30 },
  { label: 'warn', number: 13, text: 'WARN', pino: 40 },
  { label: 'error', number: 17, text: 'ERROR', pino: 50 },
  { label: 'fatal', number: 21, text: 'FATAL', pino: 60 },
] as const
const INFO = LEVELS[2]

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
/** Digits an integer may have to be read by hand exactly (below 2^53). */
const HAND_DIGITS = 15

/** What a value of the line is, once scanned. */
enum Kind {
  String = 0,
  Integer = 1,
  Double = 2,
  True = 3,
  False = 4,
  Null = 5,
  Raw = 6,
}

export interface EncodedLogs {
  /**
   * The `ExportLogsServiceRequest`: a view of the encoder's buffer, valid until its next `encode`
   * (the worker sends one batch at a time; a copy per batch is memory the isolate's GC then counts).
   */
  bytes: Uint8Array
  records: number
  /** Lines that are not a JSON object (or not one the scanner can read): not exported. */
  skipped: number
}

/**
 * One encoder per exporter: it keeps its buffers from batch to batch. Not for two calls at once.
 * @example new LogEncoder().encode(['{"level":"info","time":1,"msg":"hi"}\n'], 'api', Date.now()).records // 1
 */
export class LogEncoder {
  private readonly records = new ProtoWriter()
  private readonly out = new ProtoWriter()
  /** The records of each service, as [start, end) pairs into `records`. */
  private readonly byService = new Map<string, number[]>()
  // The line being scanned and what the scan found (fields of the instance, not objects per line).
  private text = ''
  private end = 0
  private nextBackslash = -1
  private escaped = false
  private kind = Kind.Null
  private valueStart = 0
  private valueEnd = 0
  private number = 0

  /**
   * `writeRecords` appends LogRecords made elsewhere (the access log's, logging-otlp/access-record)
   * to the records of `fallbackService`, straight into the encoder's buffer, and says how many.
   */
  encode(
    lines: readonly string[],
    fallbackService: string,
    observedMillis: number,
    writeRecords?: (records: ProtoWriter) => number,
  ): EncodedLogs {
    let records = 0
    let skipped = 0
    for (const chunk of lines) {
      // A chunk is one line (with its newline) from pino and the access log; more are split here.
      let start = 0
      while (start < chunk.length) {
        let end = chunk.indexOf('\n', start)
        if (end === -1) end = chunk.length
        if (end > start) {
          if (this.encodeLine(chunk, start, end, fallbackService, observedMillis)) records++
          else skipped++
        }
        start = end + 1
      }
    }
    if (writeRecords !== undefined) {
      // After the lines' records in the same buffer: one range more for the service.
      const start = this.records.pos
      const written = writeRecords(this.records)
      if (written > 0) {
        records += written
        const ranges = this.byService.get(fallbackService)
        if (ranges === undefined) this.byService.set(fallbackService, [start, this.records.pos])
        else ranges.push(start, this.records.pos)
      }
    }
    return { bytes: this.assemble(), records, skipped }
  }

  private assemble(): Uint8Array {
    const out = this.out
    const source = this.records.buf
    for (const [service, ranges] of this.byService) {
      const resourceLogs = out.beginMessage(1)
      const resource = out.beginMessage(1)
      const attribute = out.beginMessage(1)
      out.string(1, ATTR_SERVICE_NAME)
      const value = out.beginMessage(2)
      out.string(1, service)
      out.endMessage(value)
      out.endMessage(attribute)
      out.endMessage(resource)
      const scopeLogs = out.beginMessage(2)
      const scope = out.beginMessage(1)
      out.string(1, 'sightline')
      out.endMessage(scope)
      for (let i = 0; i < ranges.length; i += 2) out.append(source, ranges[i] ?? 0, ranges[i + 1] ?? 0)
      out.endMessage(scopeLogs)
      out.endMessage(resourceLogs)
    }
    this.byService.clear()
    this.records.pos = 0
    const bytes = out.buf.subarray(0, out.pos)
    out.pos = 0
    return bytes
  }

  /** Scans one line and appends its LogRecord (field 2 of ScopeLogs); false, with nothing written, if it cannot. */
  private encodeLine(text: string, start: number, end: number, fallbackService: string, observed: number): boolean {
    const w = this.records
    const recordStart = w.pos
    this.text = text
    this.end = end
    this.nextBackslash = text.indexOf('\\', start)
    let level: (typeof LEVELS)[number] | undefined = INFO
    let levelText: string | undefined
    let time = -1
    let msgStart = -1
    let msgEnd = -1
    let msgEscaped = false
    let traceId = -1
    let spanId = -1
    let flags = -1
    let service = fallbackService
    try {
      const record = w.beginMessage(2)
      let i = this.skipSpace(start)
      if (text.charCodeAt(i) !== OPEN_BRACE) throw new SyntaxError('not an object')
      i = this.skipSpace(i + 1)
      if (text.charCodeAt(i) === CLOSE_BRACE) i++
      else {
        for (;;) {
          if (text.charCodeAt(i) !== QUOTE) throw new SyntaxError('expected a key')
          const keyStart = i + 1
          i = this.scanString(keyStart)
          const keyEnd = i - 1
          const keyEscaped = this.escaped
          i = this.skipSpace(i)
          if (text.charCodeAt(i) !== COLON) throw new SyntaxError('expected a colon')
          i = this.scanValue(this.skipSpace(i + 1))
          const kind = this.kind
          const own = keyEscaped ? '' : ownField(text, keyStart, keyEnd)
          if (own === 'level') {
            // A label (what Sightline writes) or pino's number; any other string is kept as the text.
            level = INFO
            levelText = undefined
            if (kind === Kind.String) {
              level = this.escaped ? undefined : levelByLabel(text, this.valueStart, this.valueEnd)
              if (level === undefined) levelText = String(this.decodedValue()).toUpperCase()
            } else if (kind === Kind.Integer) level = LEVELS.find((l) => l.pino === this.number) ?? INFO
          } else if (own === 'time') {
            if (kind === Kind.Integer || kind === Kind.Double) time = this.number
          } else if (own === 'msg') {
            if (kind === Kind.String) {
              msgStart = this.valueStart
              msgEnd = this.valueEnd
              msgEscaped = this.escaped
            }
          } else if (own === 'trace_id') {
            if (kind === Kind.String && this.valueEnd - this.valueStart === 32) traceId = this.valueStart
          } else if (own === 'span_id') {
            if (kind === Kind.String && this.valueEnd - this.valueStart === 16) spanId = this.valueStart
          } else if (own === 'trace_flags') {
            if (kind === Kind.String) flags = this.traceFlags()
          } else if (own === 'service') {
            if (kind === Kind.String && this.valueEnd > this.valueStart) service = this.serviceName()
          } else if (kind !== Kind.Null) {
            this.attribute(keyStart, keyEnd, keyEscaped)
          }
          i = this.skipSpace(i)
          const next = text.charCodeAt(i)
          if (next === CLOSE_BRACE) {
            i++
            break
          }
          if (next !== COMMA) throw new SyntaxError('expected a comma')
          i = this.skipSpace(i + 1)
        }
      }
      if (this.skipSpace(i) !== end) throw new SyntaxError('text after the object')
      // The record's own fields, after its attributes: protobuf fields may come in any order.
      w.tag(1, FIXED64)
      w.millisAsNanos(time >= 0 ? time : observed)
      w.tag(11, FIXED64)
      w.millisAsNanos(observed)
      w.tag(2, VARINT)
      w.varint(level?.number ?? INFO.number)
      w.string(3, level?.text ?? levelText ?? INFO.text)
      const body = w.beginMessage(5)
      if (msgStart === -1) w.string(1, '')
      else if (msgEscaped) w.string(1, JSON.parse(text.slice(msgStart - 1, msgEnd + 1)) as string)
      else w.stringRange(1, text, msgStart, msgEnd)
      w.endMessage(body)
      if (flags !== -1) {
        w.tag(8, FIXED32)
        w.fixed32(flags)
      }
      if (traceId !== -1) w.hexBytes(9, text, traceId, 32)
      if (spanId !== -1) w.hexBytes(10, text, spanId, 16)
      w.endMessage(record)
    } catch {
      // A malformed line (or an escape JSON.parse refuses): the record is taken back whole.
      w.pos = recordStart
      return false
    }
    const ranges = this.byService.get(service)
    if (ranges === undefined) this.byService.set(service, [recordStart, w.pos])
    else ranges.push(recordStart, w.pos)
    return true
  }

  /** A KeyValue (field 6 of LogRecord) of the value just scanned. */
  private attribute(keyStart: number, keyEnd: number, keyEscaped: boolean): void {
    const w = this.records
    const text = this.text
    const keyValue = w.beginMessage(6)
    if (keyEscaped) w.string(1, JSON.parse(text.slice(keyStart - 1, keyEnd + 1)) as string)
    else w.stringRange(1, text, keyStart, keyEnd)
    const value = w.beginMessage(2)
    switch (this.kind) {
      case Kind.String:
        if (this.escaped) w.string(1, this.decodedValue() as string)
        else w.stringRange(1, text, this.valueStart, this.valueEnd)
        break
      case Kind.True:
      case Kind.False:
        w.tag(2, VARINT)
        w.varint(this.kind === Kind.True ? 1 : 0)
        break
      case Kind.Integer:
        w.tag(3, VARINT)
        w.int64(this.number)
        break
      case Kind.Double:
        w.tag(4, FIXED64)
        w.double(this.number)
        break
      default:
        // Objects and arrays: their JSON text, as it is in the line.
        w.stringRange(1, text, this.valueStart, this.valueEnd)
    }
    w.endMessage(value)
    w.endMessage(keyValue)
  }

  /** `trace_flags` as W3C writes them (two hex digits), anything else through parseInt as before. */
  private traceFlags(): number {
    const { text, valueStart, valueEnd } = this
    if (valueEnd - valueStart === 2 && !this.escaped) {
      const high = hexDigit(text.charCodeAt(valueStart))
      const low = hexDigit(text.charCodeAt(valueStart + 1))
      if (high !== -1 && low !== -1) return (high << 4) | low
    }
    return Number.parseInt(String(this.decodedValue()), 16) || 0
  }

  private serviceName(): string {
    if (this.escaped) return this.decodedValue() as string
    return this.text.slice(this.valueStart, this.valueEnd)
  }

  /** The value just scanned as JavaScript (a string's escapes decoded). */
  private decodedValue(): unknown {
    if (this.kind === Kind.String) return JSON.parse(this.text.slice(this.valueStart - 1, this.valueEnd + 1))
    return JSON.parse(this.text.slice(this.valueStart, this.valueEnd))
  }

  private skipSpace(i: number): number {
    const text = this.text
    for (; i < this.end; i++) {
      const code = text.charCodeAt(i)
      if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) return i
    }
    return i
  }

  /** From just after an opening quote to just after its closing quote; sets `escaped`. */
  private scanString(start: number): number {
    const text = this.text
    let from = start
    for (;;) {
      const quote = text.indexOf('"', from)
      if (quote === -1 || quote >= this.end) throw new SyntaxError('unterminated string')
      if (this.nextBackslash !== -1 && this.nextBackslash < start) {
        this.nextBackslash = text.indexOf('\\', start)
      }
      if (this.nextBackslash === -1 || this.nextBackslash > quote) {
        this.escaped = from !== start
        return quote + 1
      }
      // A backslash before the quote: the quote ends the string unless it is escaped itself.
      let backslashes = 0
      while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
      this.nextBackslash = text.indexOf('\\', quote + 1)
      if (backslashes % 2 === 0) {
        this.escaped = true
        return quote + 1
      }
      from = quote + 1
    }
  }

  /** Scans the value at `i`: its kind and range (a string's without its quotes); returns the index after it. */
  private scanValue(i: number): number {
    const text = this.text
    const code = text.charCodeAt(i)
    this.valueStart = i
    if (code === QUOTE) {
      this.kind = Kind.String
      this.valueStart = i + 1
      const after = this.scanString(i + 1)
      this.valueEnd = after - 1
      return after
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      this.kind = Kind.Raw
      this.valueEnd = this.skipNested(i)
      return this.valueEnd
    }
    if (code === MINUS || (code >= ZERO && code <= NINE)) return this.scanNumber(i)
    this.escaped = false
    if (text.startsWith('true', i)) this.kind = Kind.True
    else if (text.startsWith('false', i)) this.kind = Kind.False
    else if (text.startsWith('null', i)) this.kind = Kind.Null
    else throw new SyntaxError('unexpected value')
    this.valueEnd = i + (this.kind === Kind.False ? 5 : 4)
    return this.valueEnd
  }

  private scanNumber(i: number): number {
    const text = this.text
    const start = i
    const negative = text.charCodeAt(i) === MINUS
    if (negative) i++
    let value = 0
    let digits = 0
    for (let code = text.charCodeAt(i); code >= ZERO && code <= NINE; code = text.charCodeAt(++i)) {
      value = value * 10 + (code - ZERO)
      digits++
    }
    if (digits === 0) throw new SyntaxError('a minus sign alone')
    const code = text.charCodeAt(i)
    const fraction = code === 0x2e || code === 0x65 || code === 0x45 // . e E
    if (fraction) {
      for (
        let c = text.charCodeAt(i);
        (c >= ZERO && c <= NINE) || c === 0x2e || c === 0x65 || c === 0x45 || c === MINUS || c === 0x2b;
        c = text.charCodeAt(++i)
      );
    }
    this.valueEnd = i
    this.escaped = false
    if (!fraction && digits <= HAND_DIGITS) {
      this.kind = Kind.Integer
      this.number = negative ? -value : value
      return i
    }
    const parsed = Number(text.slice(start, i))
    if (Number.isNaN(parsed)) throw new SyntaxError('not a number')
    this.kind = Number.isSafeInteger(parsed) ? Kind.Integer : Kind.Double
    this.number = parsed
    return i
  }

  /** From an opening brace or bracket to just after its match, strings skipped as strings. */
  private skipNested(i: number): number {
    const text = this.text
    let depth = 0
    while (i < this.end) {
      const code = text.charCodeAt(i)
      if (code === QUOTE) {
        i = this.scanString(i + 1)
        continue
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth--
        if (depth === 0) return i + 1
      }
      i++
    }
    throw new SyntaxError('unterminated object or array')
  }
}

/** Which of the record's own fields a key names, or '' for an attribute. */
function ownField(text: string, start: number, end: number): string {
  switch (end - start) {
    case 3:
      return text.startsWith('msg', start) ? 'msg' : ''
    case 4:
      return text.startsWith('time', start) ? 'time' : ''
    case 5:
      return text.startsWith('level', start) ? 'level' : ''
    case 7:
      return text.startsWith('service', start) ? 'service' : text.startsWith('span_id', start) ? 'span_id' : ''
    case 8:
      return text.startsWith('trace_id', start) ? 'trace_id' : ''
    case 11:
      return text.startsWith('trace_flags', start) ? 'trace_flags' : ''
    default:
      return ''
  }
}

function hexDigit(code: number): number {
  if (code >= ZERO && code <= NINE) return code - ZERO
  const lower = code | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1
}

function levelByLabel(text: string, start: number, end: number): (typeof LEVELS)[number] | undefined {
  for (const level of LEVELS) {
    if (level.label.length === end - start && text.startsWith(level.label, start)) return level
  }
  return undefined
}
