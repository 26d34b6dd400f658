/**
 * @module logging-otlp/from-env.test
 * Which environment switches log export on, and where it sends.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
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
})
