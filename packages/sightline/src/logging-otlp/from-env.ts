/**
 * @module logging-otlp/from-env
 * The OpenTelemetry environment variables that switch log export on: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`
 * (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/logs`), headers from
 * `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`; `OTEL_LOGS_EXPORTER=none` turns it off.
 * The batching follows the batch log record processor's variables (`OTEL_BLRP_*`) and the request
 * timeout `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT`, where they are set.
 */
import type { DestinationStream } from 'pino'
import { SightlineOptionError } from '../core/errors.js'
import { readOptionalInteger } from '../core/option-readers.js'
import { otlpEndpoint, otlpHeaders, otlpTimeout } from '../core/otlp/env.js'
import { DEFAULT_MAX_QUEUE, DEFAULT_TIMEOUT_MS, OtlpLogTee, type OtlpLogTeeOptions } from './otlp-log-tee.js'

/** The logs endpoint the environment names, or `undefined` when log export is off. */
export function logsEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_LOGS_EXPORTER?.trim() === 'none') return undefined
  return otlpEndpoint('logs', env)
}

/** The tee's batching as the environment sets it; what it does not set keeps the tee's defaults. */
export function logBatchingFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<OtlpLogTeeOptions, 'maxQueue' | 'maxBatch' | 'flushMs' | 'timeoutMs'> {
  const positive = { min: 1 }
  const maxQueue = readOptionalInteger('OTEL_BLRP_MAX_QUEUE_SIZE', undefined, env.OTEL_BLRP_MAX_QUEUE_SIZE, positive)
  const maxBatch = readOptionalInteger(
    'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
    undefined,
    env.OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    positive,
  )
  if (maxBatch !== undefined && maxBatch > (maxQueue ?? DEFAULT_MAX_QUEUE)) {
    throw new SightlineOptionError(
      'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
      `at most OTEL_BLRP_MAX_QUEUE_SIZE (${maxQueue ?? DEFAULT_MAX_QUEUE})`,
      env.OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    )
  }
  const flushMs = readOptionalInteger('OTEL_BLRP_SCHEDULE_DELAY', undefined, env.OTEL_BLRP_SCHEDULE_DELAY, positive)
  const exportTimeout = readOptionalInteger(
    'OTEL_BLRP_EXPORT_TIMEOUT',
    undefined,
    env.OTEL_BLRP_EXPORT_TIMEOUT,
    positive,
  )
  // One batch is one request: it is bounded by the request timeout and by the export timeout.
  const requestTimeout = otlpTimeout('logs', DEFAULT_TIMEOUT_MS, env)
  const timeoutMs = Math.min(requestTimeout, exportTimeout ?? requestTimeout)
  const batching: Pick<OtlpLogTeeOptions, 'maxQueue' | 'maxBatch' | 'flushMs' | 'timeoutMs'> = {}
  if (maxQueue !== undefined) batching.maxQueue = maxQueue
  if (maxBatch !== undefined) batching.maxBatch = maxBatch
  if (flushMs !== undefined) batching.flushMs = flushMs
  if (timeoutMs !== DEFAULT_TIMEOUT_MS) batching.timeoutMs = timeoutMs
  return batching
}

/**
 * A destination wrapper exporting log lines to the endpoint the environment names, or `undefined`.
 * @example const wrap = otlpLogExporterFromEnv({ service: 'api' }); const stream = wrap ? wrap(dest) : dest
 */
export function otlpLogExporterFromEnv(
  options: Pick<OtlpLogTeeOptions, 'service' | 'onError' | 'onRecovered' | 'onDropped'>,
  env: NodeJS.ProcessEnv = process.env,
): ((destination: DestinationStream) => OtlpLogTee) | undefined {
  const endpoint = logsEndpointFromEnv(env)
  if (endpoint === undefined) return undefined
  const headers = otlpHeaders('logs', env)
  const batching = logBatchingFromEnv(env)
  return (destination) => new OtlpLogTee(destination, { endpoint, headers, ...batching, ...options })
}

export { parseOtlpHeaders } from '../core/otlp/env.js'
