/**
 * @module metrics-otlp/options.test
 * Which metrics exporters run and how the OTLP push is configured: the standard variables, their
 * defaults, code over the environment, and the coded error for every bad value.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { resolveOptions } from '../core/options.js'
import { DEFAULT_METRICS_ENDPOINT, resolveMetricsExporters, resolveMetricsPush } from './options.js'

const invalid = { code: 'SIGHTLINE_ERR_INVALID_OPTION' }

describe('metrics exporters (OTEL_METRICS_EXPORTER)', () => {
  it('defaults to the Prometheus pull; takes a comma list, each once; none alone is none', () => {
    assert.deepEqual(resolveMetricsExporters(undefined, undefined), ['prometheus'])
    assert.deepEqual(resolveMetricsExporters(undefined, ' '), ['prometheus'])
    assert.deepEqual(resolveMetricsExporters(undefined, 'otlp'), ['otlp'])
    assert.deepEqual(resolveMetricsExporters(undefined, 'OTLP, prometheus,otlp'), ['otlp', 'prometheus'])
    assert.deepEqual(resolveMetricsExporters(undefined, 'none'), [])
    assert.deepEqual(resolveMetricsExporters(['prometheus', 'otlp'], 'none'), ['prometheus', 'otlp'])
    assert.deepEqual(resolveMetricsExporters('none', 'otlp'), [])
  })

  it('refuses unknown names and none with others, with the coded error', () => {
    assert.throws(() => resolveMetricsExporters(undefined, 'console'), invalid)
    assert.throws(() => resolveMetricsExporters(undefined, 'none,otlp'), invalid)
    assert.throws(() => resolveMetricsExporters('statsd' as 'otlp', undefined), invalid)
    assert.throws(
      () => resolveOptions({ shutdown: { signals: false } }, { OTEL_METRICS_EXPORTER: 'graphite' }),
      invalid,
    )
  })

  it('resolves the push only when otlp is asked for', () => {
    assert.equal(resolveOptions({}, {}).metricsPush, undefined)
    assert.deepEqual(resolveOptions({}, {}).metricsExporters, ['prometheus'])
    const both = resolveOptions({}, { OTEL_METRICS_EXPORTER: 'otlp,prometheus' })
    assert.deepEqual(both.metricsExporters, ['otlp', 'prometheus'])
    assert.equal(both.metricsPush?.endpoint, DEFAULT_METRICS_ENDPOINT)
    // OTEL_SDK_DISABLED: no push (as no tracing); the Prometheus pull is Sightline's own and stays.
    const disabled = resolveOptions({}, { OTEL_METRICS_EXPORTER: 'otlp,prometheus', OTEL_SDK_DISABLED: 'true' })
    assert.deepEqual(disabled.metricsExporters, ['prometheus'])
    assert.equal(disabled.metricsPush, undefined)
  })
})

describe('the OTLP push (resolveMetricsPush)', () => {
  it('takes the standard variables, with their defaults', () => {
    const defaults = resolveMetricsPush({}, {})
    assert.deepEqual(
      { ...defaults, headers: undefined },
      {
        endpoint: 'http://localhost:4318/v1/metrics',
        headers: undefined,
        intervalMs: 60000,
        timeoutMs: 30000,
        requestTimeoutMs: 10000,
        temporality: 'cumulative',
        maxQueue: 4,
        maxQueueBytes: 8 * 1024 * 1024,
      },
    )
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20a,x-a=1',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-a=2',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_METRIC_EXPORT_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '8000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
    }
    const push = resolveMetricsPush({}, env)
    assert.equal(push.endpoint, 'http://collector:4318/v1/metrics')
    assert.deepEqual(push.headers, { authorization: 'Bearer a', 'x-a': '2' })
    assert.equal(push.intervalMs, 15000)
    assert.equal(push.timeoutMs, 5000)
    // One request's timeout never passes the export's.
    assert.equal(push.requestTimeoutMs, 5000)
    assert.equal(push.temporality, 'delta')
    assert.equal(
      resolveMetricsPush({}, { ...env, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://m.example/ingest' }).endpoint,
      'https://m.example/ingest',
    )
    assert.equal(
      resolveMetricsPush({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' }).temporality,
      'lowmemory',
    )
  })

  it('code wins over the environment', () => {
    const push = resolveMetricsPush(
      { endpoint: 'http://127.0.0.1:1/x', intervalMs: 10, temporality: 'delta', headers: { 'x-b': '1' } },
      { OTEL_METRIC_EXPORT_INTERVAL: '99', OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative' },
    )
    assert.equal(push.endpoint, 'http://127.0.0.1:1/x')
    assert.equal(push.intervalMs, 10)
    assert.equal(push.temporality, 'delta')
    assert.deepEqual(push.headers, { 'x-b': '1' })
  })

  it('refuses bad values once, with the coded error', () => {
    assert.throws(() => resolveMetricsPush({}, { OTEL_METRIC_EXPORT_INTERVAL: '0' }), invalid)
    assert.throws(() => resolveMetricsPush({}, { OTEL_METRIC_EXPORT_TIMEOUT: 'soon' }), invalid)
    assert.throws(
      () => resolveMetricsPush({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' }),
      invalid,
    )
    assert.throws(() => resolveMetricsPush({ endpoint: 'ftp://x' }, {}), invalid)
    assert.throws(() => resolveMetricsPush({ endpoint: 'not a url' }, {}), invalid)
    assert.throws(() => resolveMetricsPush({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /OTEL_EXPORTER_OTLP_PROTOCOL/)
    assert.throws(() => resolveMetricsPush({}, { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }), invalid)
    assert.throws(() => resolveMetricsPush({}, { OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '-1' }), invalid)
  })
})
