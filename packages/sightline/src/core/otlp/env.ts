/**
 * @module core/otlp/env
 * How every OTLP/HTTP exporter of Sightline (logs, metrics; traces for its URL) reads the standard
 * environment: the per-signal variable wins over the general one, a per-signal endpoint is used as
 * it is and the general one gets `/v1/<signal>` appended, headers are `key=value` pairs with
 * percent-decoded values, merged general-then-per-signal.
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
import { readInteger } from '../option-readers.js'

export type OtlpSignal = 'traces' | 'logs' | 'metrics'

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_<NAME>` */
function signalVariable(signal: OtlpSignal, name: string): string {
  return `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${name}`
}

/**
 * The OTLP/HTTP URL of `signal`, or `undefined` when neither variable is set.
 * @example otlpEndpoint('metrics', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }) // …/v1/metrics
 */
export function otlpEndpoint(signal: OtlpSignal, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const specific = env[signalVariable(signal, 'ENDPOINT')]?.trim()
  if (specific) return specific
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  if (!base) return undefined
  return `${base.replace(/\/+$/, '')}/v1/${signal}`
}

/** The request headers of `signal`: `OTEL_EXPORTER_OTLP_HEADERS`, then the per-signal ones over them. */
export function otlpHeaders(signal: OtlpSignal, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseOtlpHeaders(env[signalVariable(signal, 'HEADERS')]),
  }
}

/**
 * The request timeout of `signal` in ms: `OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT`, else
 * `OTEL_EXPORTER_OTLP_TIMEOUT`, else `fallback`. A value that is not a positive integer is a
 * SIGHTLINE_ERR_INVALID_OPTION naming the variable.
 */
export function otlpTimeout(signal: OtlpSignal, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const name = signalVariable(signal, 'TIMEOUT')
  const specific = env[name]
  if (specific !== undefined && specific.trim() !== '')
    return readInteger(name, undefined, specific, fallback, { min: 1 })
  return readInteger('OTEL_EXPORTER_OTLP_TIMEOUT', undefined, env.OTEL_EXPORTER_OTLP_TIMEOUT, fallback, { min: 1 })
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
