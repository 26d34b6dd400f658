/**
 * @module options
 * Every option, its environment variable and its default, resolved and validated once.
 * docs/configuration.md lists the same table for readers.
 */
import type { DestinationStream } from 'pino'
import {
  type MetricsExporterName,
  type MetricsPushOptions,
  type ResolvedMetricsPush,
  resolveMetricsExporters,
  resolveMetricsPush,
} from '../metrics-otlp/options.js'
import { HTTP_DURATION_BUCKETS } from './constants.js'
import { SightlineOptionError } from './errors.js'
import type { ShutdownOptions } from './lifecycle/shutdown.js'
import type { LogExporter } from './logging/logger.js'
import {
  readBoolean,
  readInteger,
  readOptionalInteger,
  readPath,
  readString,
  readStringList,
} from './option-readers.js'
import { ATTR_SERVICE_NAME } from './semconv.js'

export interface SightlineOptions {
  /**
   * Service name on every log line and span. Env `SIGHTLINE_SERVICE_NAME`, then `OTEL_SERVICE_NAME`,
   * then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`.
   */
  service?: string
  /** pino level. Env `LOG_LEVEL`. Default `info`. */
  logLevel?: string
  /** `json` or `pretty`. Env `LOG_FORMAT`. Default `pretty` when stdout is a terminal, else `json`. */
  logFormat?: 'json' | 'pretty'
  /** Where log lines go (tests, files). Default stdout. */
  logDestination?: DestinationStream | NodeJS.WritableStream
  /**
   * Also export log lines (stdout unchanged). Default: OTLP/HTTP when `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`
   * or `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else none; `false` turns it off.
   */
  logExporter?: LogExporter | false
  /** Extra pino redaction paths, added to the defaults. */
  redact?: readonly string[]
  /** Log query strings on the access line. Env `SIGHTLINE_LOG_QUERY`. Default false. */
  logQuery?: boolean
  /** One access-log line per request. Env `SIGHTLINE_ACCESS_LOG`. Default true. */
  accessLog?: boolean
  /** HTTP RED metrics and `/metrics`. Env `SIGHTLINE_METRICS`. Default true. */
  metrics?: boolean
  /**
   * Which metrics exporters run: `prometheus` (the pull at `/metrics`), `otlp` (the push, see
   * `metricsPush`), both (`['otlp', 'prometheus']`), or `none`. Env `OTEL_METRICS_EXPORTER`
   * (comma-separated). Default `prometheus`.
   */
  metricsExporter?: MetricsExporterName | readonly MetricsExporterName[]
  /** How the OTLP push is made, when `metricsExporter` has `otlp` (docs/metrics.md, "OTLP push"). */
  metricsPush?: MetricsPushOptions
  /** Node runtime metrics. Env `SIGHTLINE_RUNTIME_METRICS`. Default true. */
  runtimeMetrics?: boolean
  /** Series cap per metric. Env `SIGHTLINE_MAX_SERIES`. Default 2000. */
  maxSeriesPerMetric?: number
  /**
   * Sum the metrics of node:cluster workers (and of worker threads that `reportTo` it) into the
   * primary's `/metrics`; in a worker, report to the primary. Env `SIGHTLINE_AGGREGATE_WORKERS`.
   * Default true.
   */
  aggregateWorkers?: boolean
  /**
   * Longest a scrape waits for one worker's snapshot; past it the worker is reported from its last
   * one. Env `SIGHTLINE_WORKER_SCRAPE_TIMEOUT_MS`. Default 1000.
   */
  workerScrapeTimeoutMs?: number
  /** Buckets of the HTTP duration histogram, in seconds. Default the semantic-convention buckets. */
  httpBuckets?: readonly number[]
  /** Paths of the ops endpoints. Defaults `/metrics`, `/healthz`, `/readyz`. */
  metricsPath?: string
  healthPath?: string
  readyPath?: string
  /** Bearer token `/metrics` requires. Env `SIGHTLINE_METRICS_TOKEN`. Default none. */
  metricsToken?: string
  /** Serve the ops endpoints on this port instead of the application's. Env `SIGHTLINE_OPS_PORT`. */
  opsPort?: number
  /** Address of the ops port. Env `SIGHTLINE_OPS_HOST`. Default `0.0.0.0`. */
  opsHost?: string
  /** Reuse a readiness result this long. Env `SIGHTLINE_READY_CACHE_MS`. Default 1000. */
  readyCacheMs?: number
  /** Show check errors in the `/readyz` body. Env `SIGHTLINE_EXPOSE_CHECK_ERRORS`. Default false. */
  exposeCheckErrors?: boolean
  /** Shutdown: `delayMs` (env `SIGHTLINE_SHUTDOWN_DELAY_MS`, 5000), `timeoutMs` (`SIGHTLINE_SHUTDOWN_TIMEOUT_MS`, 20000), `signals` (true), `exit` (false). */
  shutdown?: Partial<ShutdownOptions>
  /**
   * Crash capture: an uncaught exception or unhandled rejection is logged (`fatal`) with its request,
   * recorded on the span, flushed, then the process exits 1. Env `SIGHTLINE_CRASH_CAPTURE`. Default true.
   */
  crash?: boolean
  /** Longest wait for the flush after a crash. Env `SIGHTLINE_CRASH_FLUSH_TIMEOUT_MS`. Default 2000. */
  crashFlushTimeoutMs?: number
}

export interface ResolvedOptions {
  service: string
  logLevel: string
  logFormat: 'json' | 'pretty'
  logDestination: DestinationStream | NodeJS.WritableStream | undefined
  logExporter: LogExporter | false | undefined
  redact: readonly string[]
  logQuery: boolean
  accessLog: boolean
  metrics: boolean
  /** The exporters that run, each once; empty for `none`. */
  metricsExporters: readonly ('prometheus' | 'otlp')[]
  /** The OTLP push's settings, when `otlp` is one of the exporters. */
  metricsPush: ResolvedMetricsPush | undefined
  runtimeMetrics: boolean
  maxSeriesPerMetric: number
  aggregateWorkers: boolean
  workerScrapeTimeoutMs: number
  httpBuckets: readonly number[]
  metricsPath: string
  healthPath: string
  readyPath: string
  metricsToken: string | undefined
  opsPort: number | undefined
  opsHost: string
  readyCacheMs: number
  exposeCheckErrors: boolean
  shutdown: ShutdownOptions
  crash: boolean
  crashFlushTimeoutMs: number
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])

export function resolveOptions(options: SightlineOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new SightlineOptionError('options', 'an object', options)
  // An empty variable is an unset one, as for every SIGHTLINE_* variable (a compose file's `LOG_FORMAT=`).
  const logFormat =
    options.logFormat ??
    ((env.LOG_FORMAT || undefined) as 'json' | 'pretty' | undefined) ??
    (process.stdout.isTTY ? 'pretty' : 'json')
  if (logFormat !== 'json' && logFormat !== 'pretty') {
    throw new SightlineOptionError('logFormat', '"json" or "pretty"', logFormat)
  }
  const logLevel = options.logLevel ?? (env.LOG_LEVEL || undefined)?.toLowerCase() ?? 'info'
  if (!LEVELS.has(logLevel)) throw new SightlineOptionError('logLevel', `one of ${[...LEVELS].join(', ')}`, logLevel)
  const shutdown: ShutdownOptions = {
    delayMs: readInteger('shutdown.delayMs', options.shutdown?.delayMs, env.SIGHTLINE_SHUTDOWN_DELAY_MS, 5000),
    timeoutMs: readInteger('shutdown.timeoutMs', options.shutdown?.timeoutMs, env.SIGHTLINE_SHUTDOWN_TIMEOUT_MS, 20000),
    signals: options.shutdown?.signals ?? true,
    exit: options.shutdown?.exit ?? false,
  }
  const opsPortRaw = readOptionalInteger('opsPort', options.opsPort, env.SIGHTLINE_OPS_PORT, { max: 65535 })
  const buckets = options.httpBuckets ?? HTTP_DURATION_BUCKETS
  if (!Array.isArray(buckets) || buckets.some((b) => typeof b !== 'number')) {
    throw new SightlineOptionError('httpBuckets', 'an array of numbers', buckets)
  }
  // OTEL_SDK_DISABLED turns every OpenTelemetry signal off, as it does tracing: no push; the pull stays.
  const metricsExporters = resolveMetricsExporters(options.metricsExporter, env.OTEL_METRICS_EXPORTER).filter(
    (name) => name !== 'otlp' || env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true',
  )
  return {
    service: readString(
      'service',
      options.service ||
        env.SIGHTLINE_SERVICE_NAME ||
        env.OTEL_SERVICE_NAME ||
        serviceNameOfResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
      'unknown_service:node',
    ),
    logLevel,
    logFormat,
    logDestination: options.logDestination,
    logExporter: options.logExporter,
    redact: readStringList('redact', options.redact),
    logQuery: readBoolean('logQuery', options.logQuery, env.SIGHTLINE_LOG_QUERY, false),
    accessLog: readBoolean('accessLog', options.accessLog, env.SIGHTLINE_ACCESS_LOG, true),
    metrics: readBoolean('metrics', options.metrics, env.SIGHTLINE_METRICS, true),
    metricsExporters,
    metricsPush: metricsExporters.includes('otlp') ? resolveMetricsPush(options.metricsPush, env) : undefined,
    runtimeMetrics: readBoolean('runtimeMetrics', options.runtimeMetrics, env.SIGHTLINE_RUNTIME_METRICS, true),
    maxSeriesPerMetric: readInteger('maxSeriesPerMetric', options.maxSeriesPerMetric, env.SIGHTLINE_MAX_SERIES, 2000),
    aggregateWorkers: readBoolean('aggregateWorkers', options.aggregateWorkers, env.SIGHTLINE_AGGREGATE_WORKERS, true),
    workerScrapeTimeoutMs: readInteger(
      'workerScrapeTimeoutMs',
      options.workerScrapeTimeoutMs,
      env.SIGHTLINE_WORKER_SCRAPE_TIMEOUT_MS,
      1000,
      { min: 1, max: 60_000 },
    ),
    httpBuckets: buckets,
    metricsPath: readPath('metricsPath', options.metricsPath, '/metrics'),
    healthPath: readPath('healthPath', options.healthPath, '/healthz'),
    readyPath: readPath('readyPath', options.readyPath, '/readyz'),
    metricsToken: options.metricsToken ?? (env.SIGHTLINE_METRICS_TOKEN || undefined),
    opsPort: opsPortRaw,
    opsHost: readString('opsHost', options.opsHost ?? env.SIGHTLINE_OPS_HOST, '0.0.0.0'),
    readyCacheMs: readInteger('readyCacheMs', options.readyCacheMs, env.SIGHTLINE_READY_CACHE_MS, 1000),
    exposeCheckErrors: readBoolean(
      'exposeCheckErrors',
      options.exposeCheckErrors,
      env.SIGHTLINE_EXPOSE_CHECK_ERRORS,
      false,
    ),
    shutdown,
    crash: readBoolean('crash', options.crash, env.SIGHTLINE_CRASH_CAPTURE, true),
    crashFlushTimeoutMs: readInteger(
      'crashFlushTimeoutMs',
      options.crashFlushTimeoutMs,
      env.SIGHTLINE_CRASH_FLUSH_TIMEOUT_MS,
      2000,
    ),
  }
}

/**
 * `service.name` from `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-encoded), the last
 * place OpenTelemetry looks for it: logs and spans then name the same service whichever is set.
 */
function serviceNameOfResourceAttributes(attributes: string | undefined): string | undefined {
  for (const pair of attributes?.split(',') ?? []) {
    const equals = pair.indexOf('=')
    if (equals === -1 || pair.slice(0, equals).trim() !== ATTR_SERVICE_NAME) continue
    try {
      return decodeURIComponent(pair.slice(equals + 1).trim()) || undefined
    } catch {
      return undefined
    }
  }
  return undefined
}
