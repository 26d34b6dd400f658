/**
 * @module test/viewer/otlp-proto
 * A minimal OTLP/protobuf writer for tests that need a large `ExportTraceServiceRequest` fast: the
 * SDK's own serializer takes seconds to build 16 MB of spans, this takes milliseconds. Writes only
 * what the tests set: ids, name, kind, times and attributes (string or int values).
 */

export function varint(value: number): Buffer {
  const bytes: number[] = []
  while (value > 0x7f) {
    bytes.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return Buffer.from(bytes)
}

/** A length-delimited field. */
export function message(field: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  return Buffer.concat([varint(field * 8 + 2), varint(body.length), body])
}

export function fixed64(field: number, value: bigint): Buffer {
  const out = Buffer.alloc(9)
  out[0] = field * 8 + 1
  out.writeBigUInt64LE(value, 1)
  return out
}

/** A `KeyValue` as field `field` (9 holds a span's attributes, 1 a resource's). */
export function keyValue(key: string, value: string | number, field = 9): Buffer {
  const any = typeof value === 'string' ? message(1, Buffer.from(value)) : Buffer.concat([varint(3 * 8), varint(value)]) // int_value
  return message(field, message(1, Buffer.from(key)), message(2, any))
}

export interface ProtoSpan {
  traceId: Buffer
  spanId: Buffer
  name: string
  kind: number
  startNs: bigint
  endNs: bigint
  /** Encoded attributes (`keyValue`), shared between spans to keep building cheap. */
  attributes: Buffer
}

export function encodeSpan(span: ProtoSpan): Buffer {
  return message(
    2,
    message(1, span.traceId),
    message(2, span.spanId),
    message(5, Buffer.from(span.name)),
    Buffer.concat([varint(6 * 8), varint(span.kind)]),
    fixed64(7, span.startNs),
    fixed64(8, span.endNs),
    span.attributes,
  )
}

/** An `ExportTraceServiceRequest` of one resource (`service.name`) and one scope holding `spans` (from `encodeSpan`). */
export function traceRequest(service: string, spans: Buffer[]): Buffer {
  return message(1, message(1, keyValue('service.name', service, 1)), message(2, ...spans))
}
