/**
 * @module logging-otlp/from-env
 * The OpenTelemetry environment variables that switch log export on: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`
 * (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/logs`), headers from
 * `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`; `OTEL_LOGS_EXPORTER=none` turns it off.
 */
import type { DestinationStream } from 'pino'
import { otlpEndpoint, otlpHeaders } from '../core/otlp/env.js'
import { OtlpLogTee, type OtlpLogTeeOptions } from './otlp-log-tee.js'

/** The logs endpoint the environment names, or `undefined` when log export is off. */
export function logsEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_LOGS_EXPORTER?.trim() === 'none') return undefined
  return otlpEndpoint('logs', env)
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
  return (destination) => new OtlpLogTee(destination, { endpoint, headers, ...options })
}

export { parseOtlpHeaders } from '../core/otlp/env.js'
