/**
 * @module logging-otlp/encode-protobuf.test
 * The scanner-based encoder writes the OTLP/protobuf a decoder reads back as the line's fields:
 * read with a small generic protobuf reader, so the test does not share the encoder's code.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LogEncoder } from './encode-protobuf.js'

type Fields = Map<number, (bigint | Uint8Array)[]>

/** Field number to values: varints and fixed numbers as bigint, length-delimited as bytes. */
function read(bytes: Uint8Array): Fields {
  const fields: Fields = new Map()
  let pos = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = bytes[pos++]
      if (byte === undefined) throw new Error('truncated varint')
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return result
      shift += 7n
    }
  }
  while (pos < bytes.length) {
    const tag = Number(varint())
    const field = tag >> 3
    let value: bigint | Uint8Array
    switch (tag & 7) {
      case 0:
        value = varint()
        break
      case 1:
        value = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigUint64(0, true)
        pos += 8
        break
      case 5:
        value = BigInt(new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0, true))
        pos += 4
        break
      case 2: {
        const length = Number(varint())
        value = bytes.subarray(pos, pos + length)
        if (value.length !== length) throw new Error('truncated field')
        pos += length
        break
      }
      default:
        throw new Error(`wire type ${tag & 7}`)
    }
    const list = fields.get(field) ?? []
    list.push(value)
    fields.set(field, list)
  }
  return fields
}

const text = (value: bigint | Uint8Array | undefined) => Buffer.from(value as Uint8Array).toString('utf8')
const hex = (value: bigint | Uint8Array | undefined) => Buffer.from(value as Uint8Array).toString('hex')
const one = (fields: Fields, field: number) => fields.get(field)?.[0]

/** An AnyValue as JavaScript: string, boolean, int (bigint), double. */
function anyValue(bytes: Uint8Array): unknown {
  const value = read(bytes)
  if (value.has(1)) return text(one(value, 1))
  if (value.has(2)) return one(value, 2) === 1n
  if (value.has(3)) return BigInt.asIntN(64, one(value, 3) as bigint)
  if (value.has(4)) {
    const bits = new DataView(new ArrayBuffer(8))
    bits.setBigUint64(0, one(value, 4) as bigint, true)
    return bits.getFloat64(0, true)
  }
  return undefined
}

function decode(bytes: Uint8Array) {
  return (read(bytes).get(1) ?? []).map((resourceLogs) => {
    const resource = read(resourceLogs as Uint8Array)
    const attribute = read(one(read(one(resource, 1) as Uint8Array), 1) as Uint8Array)
    const scopeLogs = read(one(resource, 2) as Uint8Array)
    return {
      service: [text(one(attribute, 1)), anyValue(one(attribute, 2) as Uint8Array)],
      scope: text(one(read(one(scopeLogs, 1) as Uint8Array), 1)),
      records: (scopeLogs.get(2) ?? []).map((recordBytes) => {
        const record = read(recordBytes as Uint8Array)
        return {
          time: one(record, 1),
          observed: one(record, 11),
          severity: one(record, 2),
          severityText: text(one(record, 3)),
          body: anyValue(one(record, 5) as Uint8Array),
          attributes: (record.get(6) ?? []).map((kv) => {
            const pair = read(kv as Uint8Array)
            return [text(one(pair, 1)), anyValue(one(pair, 2) as Uint8Array)]
          }),
          flags: one(record, 8),
          traceId: record.has(9) ? hex(one(record, 9)) : undefined,
          spanId: record.has(10) ? hex(one(record, 10)) : undefined,
        }
      }),
    }
  })
}

const OBSERVED = 1700000009999

describe('LogEncoder', () => {
  it('encodes pino lines with trace context, severity, body and attributes', () => {
    const encoder = new LogEncoder()
    const { bytes, records, skipped } = encoder.encode(
      [
        '{"level":"warn","time":1700000000123,"service":"api","request_id":"r1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","trace_flags":"01","msg":"slow","ms":12.5,"n":3,"neg":-7,"big":12345678901234567890,"ok":true,"no":false,"nothing":null,"obj":{"a":[1,"}"]},"list":[1,2]}\n',
        'not json\n',
      ],
      'fallback',
      OBSERVED,
    )
    assert.equal(records, 1)
    assert.equal(skipped, 1)
    const [resource, ...others] = decode(bytes)
    assert.equal(others.length, 0)
    assert.deepEqual(resource?.service, ['service.name', 'api'])
    assert.equal(resource?.scope, 'sightline')
    assert.deepEqual(resource?.records, [
      {
        time: 1700000000123000000n,
        observed: 1700000009999000000n,
        severity: 13n,
        severityText: 'WARN',
        body: 'slow',
        attributes: [
          ['request_id', 'r1'],
          ['ms', 12.5],
          ['n', 3n],
          ['neg', -7n],
          ['big', 12345678901234567000],
          ['ok', true],
          ['no', false],
          ['obj', '{"a":[1,"}"]}'],
          ['list', '[1,2]'],
        ],
        flags: 1n,
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
      },
    ])
  })

  it('decodes escapes and non-ASCII text, and groups records by service', () => {
    const encoder = new LogEncoder()
    const { bytes, records } = encoder.encode(
      [
        '{"level":"info","time":1,"msg":"say \\"hi\\"\\n","k\\u00e9y":"caf\\u00e9","plain":"naïve ✓","quote":"\\\\"}\n',
        '{"level":"error","msg":"other","service":"billing"}\n{"level":30,"msg":"numeric level"}\n',
        '{"level":"custom","msg":"odd level"}\n',
      ],
      'fallback',
      OBSERVED,
    )
    assert.equal(records, 4)
    const decoded = decode(bytes)
    assert.deepEqual(
      decoded.map((r) => [r.service[1], r.records.map((l) => [l.body, l.severity, l.severityText])]),
      [
        [
          'fallback',
          [
            ['say "hi"\n', 9n, 'INFO'],
            ['numeric level', 9n, 'INFO'],
            ['odd level', 9n, 'CUSTOM'],
          ],
        ],
        ['billing', [['other', 17n, 'ERROR']]],
      ],
    )
    const first = decoded[0]?.records[0]
    assert.deepEqual(first?.attributes, [
      ['kéy', 'café'],
      ['plain', 'naïve ✓'],
      ['quote', '\\'],
    ])
    assert.equal(first?.time, 1000000n)
    // A line without a time takes the observed time.
    assert.equal(decoded[0]?.records[1]?.time, 1700000009999000000n)
  })

  it('skips lines that are not one JSON object, and keeps working after them', () => {
    const encoder = new LogEncoder()
    const bad = [
      '[1,2]',
      '{"a":1',
      '{"a":"unterminated}',
      '{"a":tru}',
      '{"a":1} trailing',
      '{"a":"\\x"}',
      '"text"',
      '{"a":-}',
    ]
    const { records, skipped } = encoder.encode(
      bad.map((line) => `${line}\n`),
      's',
      OBSERVED,
    )
    assert.deepEqual({ records, skipped }, { records: 0, skipped: bad.length })
    const again = encoder.encode(['{"msg":"fine"}\n'], 's', OBSERVED)
    assert.equal(again.records, 1)
    assert.equal(decode(again.bytes)[0]?.records[0]?.body, 'fine')
  })

  it('grows its buffers for large batches and long values', () => {
    const encoder = new LogEncoder()
    const long = 'x'.repeat(100_000)
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `{"level":"info","msg":"line ${i}","pad":"${long.slice(0, i * 10)}"}\n`,
    )
    const { bytes, records } = encoder.encode(lines, 's', OBSERVED)
    assert.equal(records, 2000)
    const decoded = decode(bytes)[0]?.records
    assert.equal(decoded?.length, 2000)
    assert.equal(decoded?.[1999]?.body, 'line 1999')
    assert.equal(String(decoded?.[1999]?.attributes[0]?.[1]).length, 19990)
  })
})
