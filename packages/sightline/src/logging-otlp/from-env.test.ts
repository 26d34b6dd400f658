/**
 * @module logging-otlp/from-env.test
 * Which environment switches log export on, and where it sends.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeLogLines } from './encode.js'
import { logsEndpointFromEnv, otlpLogExporterFromEnv, parseOtlpHeaders } from './from-env.js'

describe('log export from the environment', () => {
  it('is off unless an OTLP endpoint is set', () => {
    assert.equal(logsEndpointFromEnv({}), undefined)
    assert.equal(otlpLogExporterFromEnv({ service: 's' }, {}), undefined)
  })

  it('uses the logs endpoint as is, or appends /v1/logs to the base endpoint', () => {
    assert.equal(logsEndpointFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:9400/' }), 'http://h:9400/v1/logs')
    assert.equal(
      logsEndpointFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:9400',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://l/x',
      }),
      'http://l/x',
    )
    assert.equal(
      logsEndpointFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h', OTEL_LOGS_EXPORTER: 'none' }),
      undefined,
    )
  })

  it('parses OTEL_EXPORTER_OTLP_HEADERS', () => {
    assert.deepEqual(parseOtlpHeaders('Authorization=Bearer%20abc, x-tenant=t1,broken'), {
      authorization: 'Bearer abc',
      'x-tenant': 't1',
    })
  })

  it('encodes pino lines as OTLP/JSON with trace context, severity and attributes', () => {
    const { body, records, skipped } = encodeLogLines(
      [
        '{"level":"warn","time":1700000000123,"service":"api","request_id":"r1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","msg":"slow","ms":12.5,"n":3,"ok":true,"obj":{"a":1}}',
        'not json',
      ],
      'fallback',
    )
    assert.equal(records, 1)
    assert.equal(skipped, 1)
    const resource = body.resourceLogs[0] as {
      resource: { attributes: { value: { stringValue: string } }[] }
      scopeLogs: { logRecords: Record<string, unknown>[] }[]
    }
    assert.equal(resource.resource.attributes[0]!.value.stringValue, 'api')
    const record = resource.scopeLogs[0]!.logRecords[0]!
    assert.equal(record.timeUnixNano, '1700000000123000000')
    assert.equal(record.severityNumber, 13)
    assert.equal(record.traceId, '0af7651916cd43dd8448eb211c80319c')
    assert.equal(record.spanId, 'b7ad6b7169203331')
    assert.deepEqual(record.body, { stringValue: 'slow' })
    assert.deepEqual(record.attributes, [
      { key: 'request_id', value: { stringValue: 'r1' } },
      { key: 'ms', value: { doubleValue: 12.5 } },
      { key: 'n', value: { intValue: 3 } },
      { key: 'ok', value: { boolValue: true } },
      { key: 'obj', value: { stringValue: '{"a":1}' } },
    ])
  })
})
