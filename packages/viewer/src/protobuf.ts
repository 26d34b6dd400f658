/**
 * @module viewer/protobuf
 * A small schema-driven protobuf decoder for the three OTLP export requests. It turns the binary
 * encoding into the same object shape OTLP/JSON has (camelCase fields, hex ids), so one normaliser
 * serves both. Written here because the OpenTelemetry packages no longer ship a decoder for requests
 * (only writers), and a dependency for ~150 lines was not worth it.
 *
 * Repeated messages (resource and scope lists, spans, log records, attributes, events, the elements
 * of arrays and maps) are decoded lazily, one element at a time as they are iterated: the receiver
 * can then decode and store a 16 MB request in slices between which the event loop serves the UI,
 * and what the limits drop (attributes past the cap, nesting past the depth) is never decoded.
 * An element that does not decode is iterated as `undefined`, so it costs that element only.
 */

type FieldType =
  | 'string'
  | 'hex'
  | 'base64'
  | 'varint'
  | 'int64'
  | 'bool'
  | 'fixed64'
  | 'sfixed64'
  | 'fixed32'
  | 'double'
  | 'packedFixed64'
  | 'packedDouble'
  | Schema

/** field number → [json name, type, repeated] */
type Schema = { [field: number]: readonly [string, FieldType, boolean?] }

const ANY_VALUE: Schema = {}
const KEY_VALUE: Schema = { 1: ['key', 'string'], 2: ['value', ANY_VALUE] }
Object.assign(ANY_VALUE, {
  1: ['stringValue', 'string'],
  2: ['boolValue', 'bool'],
  3: ['intValue', 'int64'],
  4: ['doubleValue', 'double'],
  5: ['arrayValue', { 1: ['values', ANY_VALUE, true] }],
  6: ['kvlistValue', { 1: ['values', KEY_VALUE, true] }],
  7: ['bytesValue', 'base64'],
} satisfies Schema)

const RESOURCE: Schema = { 1: ['attributes', KEY_VALUE, true] }
const SCOPE: Schema = { 1: ['name', 'string'], 2: ['version', 'string'], 3: ['attributes', KEY_VALUE, true] }

const SPAN: Schema = {
  1: ['traceId', 'hex'],
  2: ['spanId', 'hex'],
  3: ['traceState', 'string'],
  4: ['parentSpanId', 'hex'],
  5: ['name', 'string'],
  6: ['kind', 'varint'],
  7: ['startTimeUnixNano', 'fixed64'],
  8: ['endTimeUnixNano', 'fixed64'],
  9: ['attributes', KEY_VALUE, true],
  11: ['events', { 1: ['timeUnixNano', 'fixed64'], 2: ['name', 'string'], 3: ['attributes', KEY_VALUE, true] }, true],
  15: ['status', { 2: ['message', 'string'], 3: ['code', 'varint'] }],
}

const LOG_RECORD: Schema = {
  1: ['timeUnixNano', 'fixed64'],
  11: ['observedTimeUnixNano', 'fixed64'],
  2: ['severityNumber', 'varint'],
  3: ['severityText', 'string'],
  5: ['body', ANY_VALUE],
  6: ['attributes', KEY_VALUE, true],
  9: ['traceId', 'hex'],
  10: ['spanId', 'hex'],
}

const NUMBER_POINT: Schema = {
  7: ['attributes', KEY_VALUE, true],
  2: ['startTimeUnixNano', 'fixed64'],
  3: ['timeUnixNano', 'fixed64'],
  4: ['asDouble', 'double'],
  6: ['asInt', 'sfixed64'],
}
/**
 * The three kinds of distribution point share start time (2), time (3), count (4) and sum (5);
 * their attributes are field 9 of a histogram point, 1 of an exponential one and 7 of a summary's.
 * An explicit-bucket histogram's bucket counts (6) and bounds (7) are kept for percentiles;
 * exponential buckets, quantiles and exemplars are skipped (count and sum are shown).
 */
const distributionPoint = (attributesField: number): Schema => ({
  [attributesField]: ['attributes', KEY_VALUE, true],
  2: ['startTimeUnixNano', 'fixed64'],
  3: ['timeUnixNano', 'fixed64'],
  4: ['count', 'fixed64'],
  5: ['sum', 'double'],
})
const HISTOGRAM_POINT: Schema = {
  ...distributionPoint(9),
  6: ['bucketCounts', 'packedFixed64', true],
  7: ['explicitBounds', 'packedDouble', true],
}
const METRIC: Schema = {
  1: ['name', 'string'],
  2: ['description', 'string'],
  3: ['unit', 'string'],
  5: ['gauge', { 1: ['dataPoints', NUMBER_POINT, true] }],
  7: [
    'sum',
    { 1: ['dataPoints', NUMBER_POINT, true], 2: ['aggregationTemporality', 'varint'], 3: ['isMonotonic', 'bool'] },
  ],
  9: ['histogram', { 1: ['dataPoints', HISTOGRAM_POINT, true], 2: ['aggregationTemporality', 'varint'] }],
  10: [
    'exponentialHistogram',
    { 1: ['dataPoints', distributionPoint(1), true], 2: ['aggregationTemporality', 'varint'] },
  ],
  11: ['summary', { 1: ['dataPoints', distributionPoint(7), true] }],
}

/** Elements of one packed repeated field kept at most (a histogram has tens of buckets). */
const MAX_PACKED = 1024

/** Ids longer than this many bytes are no OTLP id; they are not turned into hex at all. */
const MAX_ID_BYTES = 32

/**
 * A repeated message field, as the byte ranges of its elements: each is decoded when iterated.
 * @example for (const span of lazy) if (span !== undefined) use(span)
 */
export class LazyMessages implements Iterable<Record<string, unknown> | undefined> {
  private readonly bounds: number[] = []

  constructor(
    private readonly buf: Buffer,
    private readonly schema: Schema,
  ) {}

  get length(): number {
    return this.bounds.length / 2
  }

  add(start: number, end: number): void {
    this.bounds.push(start, end)
  }

  *[Symbol.iterator](): Iterator<Record<string, unknown> | undefined> {
    for (let i = 0; i < this.bounds.length; i += 2) {
      let message: Record<string, unknown> | undefined
      try {
        message = readMessage(new Reader(this.buf, this.bounds[i]!, this.bounds[i + 1]!), this.schema)
      } catch {
        message = undefined
      }
      yield message
    }
  }
}

/** `ExportTraceServiceRequest` */
export const TRACES_REQUEST: Schema = {
  1: [
    'resourceSpans',
    { 1: ['resource', RESOURCE], 2: ['scopeSpans', { 1: ['scope', SCOPE], 2: ['spans', SPAN, true] }, true] },
    true,
  ],
}
/** `ExportLogsServiceRequest` */
export const LOGS_REQUEST: Schema = {
  1: [
    'resourceLogs',
    { 1: ['resource', RESOURCE], 2: ['scopeLogs', { 1: ['scope', SCOPE], 2: ['logRecords', LOG_RECORD, true] }, true] },
    true,
  ],
}
/** `ExportMetricsServiceRequest` */
export const METRICS_REQUEST: Schema = {
  1: [
    'resourceMetrics',
    { 1: ['resource', RESOURCE], 2: ['scopeMetrics', { 1: ['scope', SCOPE], 2: ['metrics', METRIC, true] }, true] },
    true,
  ],
}

const TWO_32 = 4294967296
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

class Reader {
  pos: number
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start
  }

  varint(): number {
    // Numbers above 2^53 lose precision; OTLP only puts counts, enums and int64 attributes here.
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('truncated varint')
      const byte = this.buf[this.pos++]!
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
    }
    throw new RangeError('varint too long')
  }

  /**
   * A two's-complement int64 varint. A negative one is ten bytes, past a double's precision when
   * summed as `varint` does, so a long one is read again exactly, as a BigInt.
   */
  int64(): number {
    const start = this.pos
    const value = this.varint()
    if (value <= Number.MAX_SAFE_INTEGER) return value
    let exact = 0n
    for (let p = start, shift = 0n; p < this.pos; p++, shift += 7n) exact |= BigInt(this.buf[p]! & 0x7f) << shift
    return Number(BigInt.asIntN(64, exact))
  }

  /** Exact below 2^53 in magnitude; `signed` reads the high word as two's complement (sfixed64). */
  fixed64(signed = false): number {
    this.need(8)
    const low = this.buf.readUInt32LE(this.pos)
    const high = signed ? this.buf.readInt32LE(this.pos + 4) : this.buf.readUInt32LE(this.pos + 4)
    this.pos += 8
    return high * TWO_32 + low
  }

  need(bytes: number): void {
    if (this.pos + bytes > this.end) throw new RangeError('truncated message')
  }
}

/**
 * Decodes a binary OTLP export request into the OTLP/JSON object shape.
 * @example decode(body, TRACES_REQUEST).resourceSpans
 */
export function decode(buf: Buffer, schema: Schema): Record<string, unknown> {
  return readMessage(new Reader(buf, 0, buf.length), schema)
}

function readMessage(reader: Reader, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  while (reader.pos < reader.end) {
    const tag = reader.varint()
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    const spec = schema[field]
    if (spec === undefined) {
      skip(reader, wire)
      continue
    }
    const [name, type, repeated] = spec
    if (repeated && typeof type === 'object') {
      if (wire !== 2) throw new RangeError(`unexpected wire type ${wire}`)
      const length = reader.varint()
      reader.need(length)
      let list = out[name] as LazyMessages | undefined
      if (list === undefined) out[name] = list = new LazyMessages(reader.buf, type)
      list.add(reader.pos, reader.pos + length)
      reader.pos += length
    } else if (repeated) {
      const list = (out[name] as unknown[] | undefined) ?? []
      if (type === 'packedFixed64' || type === 'packedDouble') readPacked(reader, wire, type, list)
      else list.push(readValue(reader, wire, type))
      out[name] = list
    } else {
      out[name] = readValue(reader, wire, type)
    }
  }
  return out
}

function readValue(reader: Reader, wire: number, type: FieldType): unknown {
  switch (type) {
    case 'varint':
      return reader.varint()
    case 'int64':
      return reader.int64()
    case 'bool':
      return reader.varint() !== 0
    case 'fixed64':
      return reader.fixed64()
    case 'sfixed64':
      return reader.fixed64(true)
    case 'fixed32': {
      reader.need(4)
      const value = reader.buf.readUInt32LE(reader.pos)
      reader.pos += 4
      return value
    }
    case 'double': {
      reader.need(8)
      const value = reader.buf.readDoubleLE(reader.pos)
      reader.pos += 8
      return value
    }
  }
  if (wire !== 2) throw new RangeError(`unexpected wire type ${wire}`)
  const length = reader.varint()
  reader.need(length)
  const start = reader.pos
  reader.pos += length
  if (type === 'string') return reader.buf.toString('utf8', start, start + length)
  if (type === 'base64') return reader.buf.toString('base64', start, start + length)
  if (type === 'hex') {
    if (length > MAX_ID_BYTES) return ''
    let hex = ''
    for (let i = start; i < start + length; i++) hex += HEX[reader.buf[i]!]
    return hex
  }
  if (typeof type !== 'object') throw new RangeError(`${type} is only read as a repeated field`)
  return readMessage(new Reader(reader.buf, start, start + length), type)
}

/** A packed (wire type 2) or unpacked (one 8-byte value) element of a repeated fixed64 or double. */
function readPacked(reader: Reader, wire: number, type: 'packedFixed64' | 'packedDouble', list: unknown[]): void {
  const one = () => {
    reader.need(8)
    const value = type === 'packedDouble' ? reader.buf.readDoubleLE(reader.pos) : reader.fixed64()
    if (type === 'packedDouble') reader.pos += 8
    if (list.length < MAX_PACKED) list.push(value)
  }
  if (wire === 1) {
    one()
    return
  }
  if (wire !== 2) throw new RangeError(`unexpected wire type ${wire}`)
  const length = reader.varint()
  reader.need(length)
  const end = reader.pos + length
  if (length % 8 !== 0) throw new RangeError('packed field of a length not a multiple of 8')
  while (reader.pos < end) one()
}

function skip(reader: Reader, wire: number): void {
  if (wire === 0) reader.varint()
  else if (wire === 1) reader.pos += 8
  else if (wire === 2) {
    // Read the length first: `reader.pos += reader.varint()` would add it to the position before the length.
    const length = reader.varint()
    reader.pos += length
  } else if (wire === 5) reader.pos += 4
  else throw new RangeError(`unsupported wire type ${wire}`)
  if (reader.pos > reader.end) throw new RangeError('truncated message')
}
