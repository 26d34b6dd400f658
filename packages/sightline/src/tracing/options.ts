/**
 * @module tracing/options
 * Tracing options and the standard OpenTelemetry environment variables, resolved once.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
import { SightlineOptionError } from '../core/errors.js'
import { readBoolean, readInteger } from '../core/option-readers.js'
import { otlpEndpoint } from '../core/otlp/env.js'
import {
  type OpenTelemetryInstrumentation,
  readInstrumentationPackages,
  readInstrumentations,
} from './instrumentations.js'

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc'
export type TracesExporter = 'otlp' | 'console' | 'none'
export type ExportThread = 'worker' | 'main'
/** OpenTelemetry's `OTEL_PROPAGATORS` values Sightline knows (tracing/propagators builds them). */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger' | 'xray' | 'ottrace' | 'none'
export const PROPAGATOR_NAMES: readonly PropagatorName[] = [
  'tracecontext',
  'baggage',
  'b3',
  'b3multi',
  'jaeger',
  'xray',
  'ottrace',
  'none',
]
export const DEFAULT_PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage']
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio'

export interface TracingOptions {
  /** Service name; defaults to the Sightline instance's. */
  serviceName?: string
  serviceVersion?: string
  /** `deployment.environment.name`. Env `SIGHTLINE_ENVIRONMENT`, else `NODE_ENV`. */
  environment?: string
  /** Sampler. Env `OTEL_TRACES_SAMPLER`. Default `parentbased_traceidratio`. */
  sampler?: SamplerName
  /** Ratio for the ratio samplers. Env `OTEL_TRACES_SAMPLER_ARG`. Default 0.1 (the brief: 1–10 %). */
  ratio?: number
  /** Env `OTEL_TRACES_EXPORTER`. Default `otlp` when an endpoint is set, else `none`. */
  exporter?: TracesExporter
  /** Env `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  endpoint?: string
  /** Env `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`. Default `http/protobuf`. */
  protocol?: OtlpProtocol
  /** Env `OTEL_BSP_MAX_QUEUE_SIZE`. Default 2048: spans past it are dropped and counted. */
  maxQueueSize?: number
  /** Env `OTEL_BSP_SCHEDULE_DELAY`. Default 5000 ms. */
  scheduledDelayMillis?: number
  /** Env `OTEL_BSP_EXPORT_TIMEOUT`. Default 30000 ms (Sightline's shutdown bounds the final flush). */
  exportTimeoutMillis?: number
  /** Env `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. Default 512. */
  maxExportBatchSize?: number
  /**
   * Where OTLP http/protobuf batches are sent from: a worker thread (`worker`), or the
   * application's own thread (`main`). Env `SIGHTLINE_EXPORT_THREAD`. Default `worker`.
   */
  exportThread?: ExportThread
  /**
   * Registers this tracing as OpenTelemetry's global tracer provider, context manager and
   * propagator, for code that uses the OpenTelemetry API itself (other instrumentations,
   * `trace.getTracer`). Sightline's own spans, ids and log fields never need it: they use the
   * instance serving the request. Env `SIGHTLINE_TRACING_GLOBAL` (`true`/`false`). Default false;
   * true with `instrumentations`, which need it (false with them is an error); the zero-code
   * launcher sets it.
   */
  global?: boolean
  /**
   * Propagators, in order: `tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, `xray`, `ottrace`,
   * or `none`. Env `OTEL_PROPAGATORS` (comma-separated). Default `tracecontext,baggage`. The
   * non-W3C ones need OpenTelemetry's propagator package installed (docs/tracing.md).
   */
  propagators?: readonly PropagatorName[]
  /**
   * OpenTelemetry instrumentations (`new IORedisInstrumentation()`, any built on
   * `@opentelemetry/instrumentation`): each gets this tracing's tracer provider and is enabled, so
   * its spans are children of Sightline's server span and exported, counted and correlated with
   * Sightline's. They imply `global` (they read the API's one global context). Env
   * `OTEL_NODE_ENABLED_INSTRUMENTATIONS`: short names (`ioredis,mysql2,amqplib`) of the installed
   * `@opentelemetry/instrumentation-<name>` packages, loaded and constructed with their defaults.
   * Default none (docs/tracing.md).
   */
  instrumentations?: readonly OpenTelemetryInstrumentation[]
}

export interface ResolvedTracingOptions {
  disabled: boolean
  serviceName: string | undefined
  serviceVersion: string | undefined
  environment: string | undefined
  sampler: SamplerName
  ratio: number
  exporter: TracesExporter
  endpoint: string | undefined
  protocol: OtlpProtocol
  exportThread: ExportThread
  global: boolean
  propagators: readonly PropagatorName[]
  /** Instrumentations given in code. */
  instrumentations: readonly OpenTelemetryInstrumentation[]
  /** Packages `OTEL_NODE_ENABLED_INSTRUMENTATIONS` names, when no instrumentations were given in code. */
  instrumentationPackages: readonly string[]
  batch: { maxQueueSize: number; scheduledDelayMillis: number; exportTimeoutMillis: number; maxExportBatchSize: number }
}

const SAMPLERS = new Set<SamplerName>([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
])
const PROTOCOLS = new Set<OtlpProtocol>(['http/protobuf', 'http/json', 'grpc'])
const EXPORTERS = new Set<TracesExporter>(['otlp', 'console', 'none'])
const EXPORT_THREADS = new Set<ExportThread>(['worker', 'main'])

export function resolveTracingOptions(options: TracingOptions = {}, env = process.env): ResolvedTracingOptions {
  const sampler = (options.sampler ?? env.OTEL_TRACES_SAMPLER ?? 'parentbased_traceidratio') as SamplerName
  if (!SAMPLERS.has(sampler)) throw new SightlineOptionError('sampler', `one of ${[...SAMPLERS].join(', ')}`, sampler)
  const ratio = options.ratio ?? (env.OTEL_TRACES_SAMPLER_ARG ? Number(env.OTEL_TRACES_SAMPLER_ARG) : 0.1)
  if (!(ratio >= 0 && ratio <= 1)) throw new SightlineOptionError('ratio', 'a number from 0 to 1', ratio)
  const protocol = (options.protocol ??
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf') as OtlpProtocol
  if (!PROTOCOLS.has(protocol)) throw new SightlineOptionError('protocol', [...PROTOCOLS].join(' or '), protocol)
  const endpoint = options.endpoint ?? traceEndpoint(env, protocol)
  const exporter = (options.exporter ??
    (env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim() || (endpoint === undefined ? 'none' : 'otlp'))) as TracesExporter
  if (!EXPORTERS.has(exporter)) throw new SightlineOptionError('exporter', 'otlp, console or none', exporter)
  const exportThread = (options.exportThread ?? env.SIGHTLINE_EXPORT_THREAD ?? 'worker') as ExportThread
  if (!EXPORT_THREADS.has(exportThread)) throw new SightlineOptionError('exportThread', 'worker or main', exportThread)
  const instrumentations = readInstrumentations(options.instrumentations)
  const instrumentationPackages =
    options.instrumentations === undefined ? readInstrumentationPackages(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS) : []
  const instrumented = instrumentations.length > 0 || instrumentationPackages.length > 0
  const global = readBoolean('global', options.global, env.SIGHTLINE_TRACING_GLOBAL, instrumented)
  if (instrumented && !global) {
    // An instrumentation finds its parent span with the API's `context.active()` and runs callbacks
    // in `context.with()`: the API has one context manager, and it must be this tracing's.
    throw new SightlineOptionError('global', 'true, or not set, when instrumentations are given', global)
  }
  return {
    disabled: env.OTEL_SDK_DISABLED?.toLowerCase() === 'true',
    // The environment's service name is read once, by Sightline's own `service` (the fallback in
    // buildResource), so that spans and log lines name the same service.
    ...resolveResourceOptions(options, env),
    sampler,
    ratio,
    exporter,
    endpoint,
    protocol,
    exportThread,
    global,
    propagators: resolvePropagators(options.propagators, env.OTEL_PROPAGATORS),
    instrumentations,
    instrumentationPackages,
    batch: {
      maxQueueSize: readPositive('maxQueueSize', options.maxQueueSize, env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
      scheduledDelayMillis: readPositive(
        'scheduledDelayMillis',
        options.scheduledDelayMillis,
        env.OTEL_BSP_SCHEDULE_DELAY,
        5000,
      ),
      exportTimeoutMillis: readPositive(
        'exportTimeoutMillis',
        options.exportTimeoutMillis,
        env.OTEL_BSP_EXPORT_TIMEOUT,
        30000,
      ),
      maxExportBatchSize: readPositive(
        'maxExportBatchSize',
        options.maxExportBatchSize,
        env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
        512,
      ),
    },
  }
}

/** What the resource is built from (tracing/sdk's `buildResource`): spans and the metrics push share it. */
export type ResourceOptions = Pick<ResolvedTracingOptions, 'serviceName' | 'serviceVersion' | 'environment'>

/** The resource's service name, version and environment: given in code, else from the environment. */
export function resolveResourceOptions(
  options: Pick<TracingOptions, 'serviceName' | 'serviceVersion' | 'environment'>,
  env: NodeJS.ProcessEnv = process.env,
): ResourceOptions {
  return {
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion ?? env.SIGHTLINE_SERVICE_VERSION,
    environment: options.environment ?? env.SIGHTLINE_ENVIRONMENT ?? env.NODE_ENV,
  }
}

const PROPAGATORS = new Set<string>(PROPAGATOR_NAMES)

/** The propagator names, known and each once, in order; an empty variable means the default. */
function resolvePropagators(option: readonly PropagatorName[] | undefined, envValue: string | undefined) {
  const given =
    option ??
    envValue
      ?.split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '')
  if (given === undefined || given.length === 0) return DEFAULT_PROPAGATORS
  if (!Array.isArray(given)) throw new SightlineOptionError('propagators', 'an array of propagator names', given)
  for (const name of given) {
    if (!PROPAGATORS.has(name)) {
      throw new SightlineOptionError(
        'propagators (OTEL_PROPAGATORS)',
        `names from ${PROPAGATOR_NAMES.join(', ')}`,
        name,
      )
    }
  }
  return [...new Set(given)] as PropagatorName[]
}

/** The traces URL: the per-signal variable as given, or the base endpoint plus `/v1/traces` (HTTP only). */
function traceEndpoint(env: NodeJS.ProcessEnv, protocol: OtlpProtocol): string | undefined {
  if (protocol !== 'grpc') return otlpEndpoint('traces', env)
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined
}

function readPositive(name: string, value: number | undefined, envValue: string | undefined, fallback: number): number {
  return readInteger(name, value, envValue, fallback, { min: 1 })
}
