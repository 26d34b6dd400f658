/**
 * @module logging-otlp/from-env
 * The OpenTelemetry environment variables that switch log export on: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`
 * (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/logs`), headers from
 * `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`; `OTEL_LOGS_EXPORTER=none` turns it off.
 */
import type { DestinationStream } from 'pino'
import { OtlpLogTee, type OtlpLogTeeOptions } from './otlp-log-tee.js'

/** The logs endpoint the environment names, or `undefined` when log export is off. */
export function logsEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_LOGS_EXPORTER?.trim() === 'none') return undefined
  const specific = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT?.trim()
  if (specific) return specific
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  if (!base) return undefined
  return `${base.replace(/\/+$/, '')}/v1/logs`
}

/** `key=value,key2=value2`, values percent-decoded, as the OpenTelemetry specification defines. */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    try {
      headers[pair.slice(0, eq).trim().toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim())
    } catch {
      // A malformed header is left out rather than failing the app's start.
    }
  }
  return headers
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
  const headers = {
    ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_LOGS_HEADERS),
  }
  return (destination) => new OtlpLogTee(destination, { endpoint, headers, ...options })
}
