import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { resolveTracingOptions } from '../tracing/options.js'
import { buildResource } from '../tracing/sdk.js'
import { resolveOptions } from './options.js'

describe('options from the environment', () => {
  test('the service name: the code’s, then SIGHTLINE_SERVICE_NAME, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES', () => {
    const env = {
      SIGHTLINE_SERVICE_NAME: 'from-sightline',
      OTEL_SERVICE_NAME: 'from-otel',
      OTEL_RESOURCE_ATTRIBUTES: 'team=core,service.name=billing%20api',
    }
    assert.equal(resolveOptions({ service: 'from-code' }, env).service, 'from-code')
    assert.equal(resolveOptions({}, env).service, 'from-sightline')
    assert.equal(resolveOptions({}, { ...env, SIGHTLINE_SERVICE_NAME: '' }).service, 'from-otel')
    assert.equal(resolveOptions({}, { OTEL_RESOURCE_ATTRIBUTES: env.OTEL_RESOURCE_ATTRIBUTES }).service, 'billing api')
    assert.equal(
      resolveOptions({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=%E0%A4%A' }).service,
      'unknown_service:node',
    )
    assert.equal(resolveOptions({}, {}).service, 'unknown_service:node')
  })

  test('spans name the service the log lines name, whatever the environment says', (t) => {
    // buildResource reads OpenTelemetry's variables from process.env, as the SDK does.
    const saved = { name: process.env.OTEL_SERVICE_NAME, attributes: process.env.OTEL_RESOURCE_ATTRIBUTES }
    t.after(() => {
      for (const [key, value] of [
        ['OTEL_SERVICE_NAME', saved.name],
        ['OTEL_RESOURCE_ATTRIBUTES', saved.attributes],
      ] as const) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    })
    process.env.OTEL_SERVICE_NAME = 'from-otel'
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=from-attributes,team=core'
    const service = resolveOptions({ service: 'checkout' }).service
    const resource = buildResource(resolveTracingOptions({}), service)
    assert.equal(resource.attributes['service.name'], 'checkout')
    assert.equal(resource.attributes.team, 'core', 'the other attributes still come from the environment')
    const explicit = buildResource(resolveTracingOptions({ serviceName: 'spans-only' }), service)
    assert.equal(explicit.attributes['service.name'], 'spans-only')
  })

  test('an empty variable is an unset one', () => {
    const resolved = resolveOptions(
      {},
      { SIGHTLINE_OPS_PORT: '', LOG_FORMAT: '', LOG_LEVEL: '', SIGHTLINE_SERVICE_NAME: '' },
    )
    assert.equal(resolved.opsPort, undefined, 'the ops endpoints stay on the application port')
    assert.equal(resolved.logLevel, 'info')
    assert.ok(resolved.logFormat === 'json' || resolved.logFormat === 'pretty')
  })
})
