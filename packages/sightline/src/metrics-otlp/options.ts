/**
 * @module metrics-otlp/options
 * Which metrics exporters run (`OTEL_METRICS_EXPORTER`: `prometheus`, the default pull at
 * `/metrics`; `otlp`, the push; both, comma-separated; or `none`) and how the OTLP push is made,
 * resolved and validated once, with the standard variables:
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#periodic-exporting-metricreader
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
import { SightlineOptionError } from '../core/errors.js'
import { readInteger } from '../core/option-readers.js'
import { otlpEndpoint, otlpHeaders, otlpTimeout } from '../core/otlp/env.js'
import type { TemporalityPreference } from './points.js'

export type MetricsExporterName = 'prometheus' | 'otlp' | 'none'
const EXPORTER_NAMES: readonly MetricsExporterName[] = ['prometheus', 'otlp', 'none']
const TEMPORALITIES: readonly TemporalityPreference[] = ['cumulative', 'delta', 'lowmemory']

/** Where OpenTelemetry's exporters send OTLP/HTTP metrics when no endpoint is named. */
export const DEFAULT_METRICS_ENDPOINT = 'http://localhost:4318/v1/metrics'

export interface MetricsPushOptions {
  /** Full URL. Env `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (as is), else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`, else `http://localhost:4318/v1/metrics`. */
  endpoint?: string
  /** Request headers. Env `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_METRICS_HEADERS` (`key=value,…`). */
  headers?: Record<string, string>
  /** Time between exports. Env `OTEL_METRIC_EXPORT_INTERVAL`. Default 60000 ms. */
  intervalMs?: number
  /** Longest an export may take, queueing included. Env `OTEL_METRIC_EXPORT_TIMEOUT`. Default 30000 ms. */
  timeoutMs?: number
  /** Env `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`. Default `cumulative`. */
  temporality?: TemporalityPreference
  /** Export requests waiting behind the one in flight, at most; older ones are dropped. Default 4. */
  maxQueue?: number
  /** Bytes of waiting requests, at most. Default 8 MiB. */
  maxQueueBytes?: number
}

export interface ResolvedMetricsPush {
  endpoint: string
  headers: Record<string, string>
  intervalMs: number
  timeoutMs: number
  /** One HTTP request's timeout: `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT`/`OTEL_EXPORTER_OTLP_TIMEOUT` (10000), at most `timeoutMs`. */
  requestTimeoutMs: number
  temporality: TemporalityPreference
  maxQueue: number
  maxQueueBytes: number
}

/**
 * The exporters asked for, each once (`none` alone is none); unset or empty is `prometheus`.
 * @example resolveMetricsExporters(undefined, 'otlp,prometheus') // ['otlp', 'prometheus']
 */
export function resolveMetricsExporters(
  option: MetricsExporterName | readonly MetricsExporterName[] | undefined,
  envValue: string | undefined,
): readonly ('prometheus' | 'otlp')[] {
  const given =
    option === undefined
      ? envValue
          ?.split(',')
          .map((name) => name.trim().toLowerCase())
          .filter((name) => name !== '')
      : typeof option === 'string'
        ? [option]
        : option
  if (given === undefined || given.length === 0) return ['prometheus']
  if (!Array.isArray(given))
    throw new SightlineOptionError('metricsExporter', 'an exporter name or an array of them', given)
  for (const name of given) {
    if (!EXPORTER_NAMES.includes(name as MetricsExporterName)) {
      throw new SightlineOptionError('metricsExporter (OTEL_METRICS_EXPORTER)', 'prometheus, otlp or none', name)
    }
  }
  if (given.includes('none')) {
    if (given.length > 1)
      throw new SightlineOptionError('metricsExporter (OTEL_METRICS_EXPORTER)', '"none" alone', given.join(','))
    return []
  }
  return [...new Set(given as ('prometheus' | 'otlp')[])]
}

/** How the OTLP push is made; resolved only when `otlp` is one of the exporters. */
export function resolveMetricsPush(
  options: MetricsPushOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedMetricsPush {
  if (options === null || typeof options !== 'object')
    throw new SightlineOptionError('metricsPush', 'an object', options)
  const protocolVariable = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL?.trim()
    ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL'
  const protocol = env[protocolVariable]?.trim() || 'http/protobuf'
  if (protocol !== 'http/protobuf') {
    // Sending protobuf over HTTP to a gRPC or JSON endpoint would fail every export, quietly.
    throw new SightlineOptionError(
      `${protocolVariable} (with the OTLP metrics push)`,
      '"http/protobuf", the only protocol the metrics push speaks',
      protocol,
    )
  }
  const endpoint = options.endpoint ?? otlpEndpoint('metrics', env) ?? DEFAULT_METRICS_ENDPOINT
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new SightlineOptionError('metricsPush.endpoint', 'an http(s) URL', endpoint)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SightlineOptionError('metricsPush.endpoint', 'an http(s) URL', endpoint)
  }
  if (options.headers !== undefined && (typeof options.headers !== 'object' || options.headers === null)) {
    throw new SightlineOptionError('metricsPush.headers', 'an object of strings', options.headers)
  }
  const intervalMs = readInteger('metricsPush.intervalMs', options.intervalMs, env.OTEL_METRIC_EXPORT_INTERVAL, 60000, {
    min: 1,
  })
  const timeoutMs = readInteger('metricsPush.timeoutMs', options.timeoutMs, env.OTEL_METRIC_EXPORT_TIMEOUT, 30000, {
    min: 1,
  })
  const temporality = (options.temporality ??
    (env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE?.trim().toLowerCase() ||
      'cumulative')) as TemporalityPreference
  if (!TEMPORALITIES.includes(temporality)) {
    throw new SightlineOptionError(
      'metricsPush.temporality (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE)',
      'cumulative, delta or lowmemory',
      temporality,
    )
  }
  return {
    endpoint: url.href,
    headers: { ...otlpHeaders('metrics', env), ...options.headers },
    intervalMs,
    timeoutMs,
    requestTimeoutMs: Math.min(otlpTimeout('metrics', 10000, env), timeoutMs),
    temporality,
    maxQueue: readInteger('metricsPush.maxQueue', options.maxQueue, undefined, 4, { min: 1 }),
    maxQueueBytes: readInteger('metricsPush.maxQueueBytes', options.maxQueueBytes, undefined, 8 * 1024 * 1024, {
      min: 1,
    }),
  }
}
