/**
 * @module logging-otlp/from-env.test
 * Which environment switches log export on, and where it sends.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { logBatchingFromEnv, logsEndpointFromEnv, otlpLogExporterFromEnv, parseOtlpHeaders } from './from-env.js'

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

  it('batches as the OTEL_BLRP_* variables and the OTLP timeout say, keeping its defaults otherwise', () => {
    assert.deepEqual(logBatchingFromEnv({}), {})
    assert.deepEqual(
      logBatchingFromEnv({
        OTEL_BLRP_MAX_QUEUE_SIZE: '4096',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '1024',
        OTEL_BLRP_SCHEDULE_DELAY: '250',
        OTEL_EXPORTER_OTLP_TIMEOUT: '8000',
      }),
      { maxQueue: 4096, maxBatch: 1024, flushMs: 250, timeoutMs: 8000 },
    )
    // The signal's own timeout wins over the general one; the export timeout bounds both.
    assert.deepEqual(
      logBatchingFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '8000', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '7000' }),
      { timeoutMs: 7000 },
    )
    assert.deepEqual(logBatchingFromEnv({ OTEL_BLRP_EXPORT_TIMEOUT: '2000' }), { timeoutMs: 2000 })
  })

  it('refuses batching values that are not positive integers, or a batch larger than the queue', () => {
    assert.throws(() => logBatchingFromEnv({ OTEL_BLRP_MAX_QUEUE_SIZE: '0' }), /OTEL_BLRP_MAX_QUEUE_SIZE/)
    assert.throws(() => logBatchingFromEnv({ OTEL_BLRP_SCHEDULE_DELAY: 'soon' }), /OTEL_BLRP_SCHEDULE_DELAY/)
    assert.throws(
      () => logBatchingFromEnv({ OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '4096' }),
      /OTEL_BLRP_MAX_EXPORT_BATCH_SIZE.*2048/,
    )
  })
})
