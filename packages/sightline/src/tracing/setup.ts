/**
 * @module tracing/setup
 * `setupTracing` (the brief's `configure_tracing`): a tracer provider with a resource, a bounded
 * batch processor and the OTLP exporter, the propagators (W3C trace context and baggage unless
 * OTEL_PROPAGATORS says otherwise), Sightline's context manager, server spans from the pipeline,
 * client spans and propagation for outgoing calls, log correlation, and the OpenTelemetry
 * instrumentations the application brings (tracing/instrumentations).
 */
import { context, propagation, type Tracer, trace } from '@opentelemetry/api'
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Sightline } from '../core/sightline.js'
import { BasicTracerProvider } from '../vendor/otel-sdk.js'
import { HttpClientMetrics } from './client-metrics.js'
import { SightlineContextManager } from './context-manager.js'
import { hookEsmImports } from './esm-hook.js'
import { HandoverIdGenerator } from './ids.js'
import { registerGlobalInstance, TracingInstance } from './instance.js'
import {
  enableInstrumentations,
  hookedModules,
  instrumentationEntry,
  loadInstrumentationPackages,
  type OpenTelemetryInstrumentation,
  overlapOf,
} from './instrumentations.js'
import { sinkOfSdkTracer } from './light-span.js'
import { type ResolvedTracingOptions, resolveTracingOptions, type TracingOptions } from './options.js'
import { installPropagation } from './propagation.js'
import { buildPropagator } from './propagators.js'
import {
  buildExporter,
  buildResource,
  buildSampler,
  CountingBatchProcessor,
  CountingExporter,
  HandoverSampler,
  METRIC_SPANS_DROPPED,
  METRIC_SPANS_EXPORTED,
  rootRatioOf,
} from './sdk.js'
import { ServerSpans } from './server-spans.js'
import { TRACER_NAME } from './spans.js'

export interface Tracing {
  readonly enabled: boolean
  readonly options: ResolvedTracingOptions
  readonly tracer: Tracer
  /** Exports what is queued. Sightline's shutdown calls it. */
  forceFlush(): Promise<void>
  /** Flushes and stops exporting; with `global`, unregisters the provider, context manager and propagator it registered. */
  shutdown(): Promise<void>
}

/**
 * @example
 * const sightline = createSightline({ service: 'doctor-api' })
 * await setupTracing(sightline) // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
 */
export async function setupTracing(sightline: Sightline, options: TracingOptions = {}): Promise<Tracing> {
  const resolved = resolveTracingOptions(options)
  if (resolved.disabled) {
    return {
      enabled: false,
      options: resolved,
      tracer: trace.getTracer(TRACER_NAME),
      forceFlush: async () => {},
      shutdown: async () => {},
    }
  }
  const exported = sightline.metrics.counter({
    name: METRIC_SPANS_EXPORTED,
    help: 'Spans delivered to the exporter endpoint.',
  })
  const dropped = sightline.metrics.counter({
    name: METRIC_SPANS_DROPPED,
    help: 'Spans lost: queue full, or the export failed, by reason.',
    labelNames: ['reason'],
  })
  // Built first: a propagator whose package is missing fails set-up before anything is started.
  const propagator = await buildPropagator(resolved.propagators)
  const constructors = await loadInstrumentationPackages(resolved.instrumentationPackages)
  const exporter = await buildExporter(resolved)
  const spanProcessors: SpanProcessor[] =
    exporter === undefined
      ? []
      : [
          new CountingBatchProcessor(
            new CountingExporter(exporter, exported, dropped, (fields, msg) => sightline.logger.warn(fields, msg)),
            resolved.batch,
            dropped,
          ),
        ]
  const ids = new HandoverIdGenerator()
  const sampler = new HandoverSampler(buildSampler(resolved))
  const resource = buildResource(resolved, sightline.options.service)
  // The metrics push sends the resource the spans carry.
  sightline.useResource(resource.attributes)
  const provider = new BasicTracerProvider({
    resource,
    sampler,
    idGenerator: ids,
    spanProcessors,
  })
  const contextManager = new SightlineContextManager().enable()
  // A parent-based sampler (or always_on) samples every child of a sampled span: Sightline's own
  // client spans can then skip the SDK's decision. Any other sampler decides each span itself.
  const childrenFollowParent = resolved.sampler.startsWith('parentbased_') || resolved.sampler === 'always_on'
  const instance = new TracingInstance(
    provider,
    contextManager,
    propagator,
    childrenFollowParent ? sinkOfSdkTracer(provider.getTracer(TRACER_NAME)) : undefined,
    sightline.options.metrics ? new HttpClientMetrics(sightline.metrics) : undefined,
  )
  if (resolved.global) {
    // The process's tracer: code that uses OpenTelemetry's API (other instrumentations,
    // trace.getTracer) gets this provider, context manager and propagator. The API keeps one of
    // each; `disable` first so this registration replaces whatever was there.
    trace.disable()
    context.disable()
    propagation.disable()
    trace.setGlobalTracerProvider(provider)
    context.setGlobalContextManager(contextManager)
    propagation.setGlobalPropagator(propagator)
    registerGlobalInstance(instance)
  }
  const tracer = instance.tracer(TRACER_NAME)
  sightline.setTracing(new ServerSpans(tracer, sampler, ids, propagator, rootRatioOf(resolved), instance))
  const uninstall = installPropagation()
  const disableInstrumentations = await startInstrumentations(sightline, resolved, constructors, provider)
  const tracing: Tracing = {
    enabled: true,
    options: resolved,
    tracer,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      sightline.setTracing(undefined)
      uninstall()
      disableInstrumentations()
      await provider.shutdown()
      contextManager.disable()
      if (resolved.global) {
        // Only what this instance registered, and only while it is still what is registered.
        const registered = trace.getTracerProvider() as { getDelegate?: () => unknown }
        if ((registered.getDelegate?.() ?? registered) === provider) {
          trace.disable()
          context.disable()
          propagation.disable()
        }
      }
    },
  }
  sightline.addFlushable(tracing)
  if (exporter === undefined && resolved.exporter === 'otlp') {
    sightline.logger.info('tracing on without an exporter endpoint: spans are correlated in logs, not exported')
  }
  return tracing
}

/**
 * The application's OpenTelemetry instrumentations, given in code or named by the environment:
 * the ESM loader hook first (a named package's instrumentation hooks its modules as it is made),
 * then each gets the provider and is enabled. Resolves once the loader wraps their modules, so an
 * import that follows set-up (the application, after `--import sightline/register`) is patched.
 */
async function startInstrumentations(
  sightline: Sightline,
  resolved: ResolvedTracingOptions,
  constructors: ReadonlyArray<() => OpenTelemetryInstrumentation>,
  provider: BasicTracerProvider,
): Promise<() => void> {
  if (resolved.instrumentations.length === 0 && constructors.length === 0) return () => {}
  const entry = instrumentationEntry(resolved.instrumentationPackages)
  await hookEsmImports([], entry)
  const instrumentations = [...resolved.instrumentations, ...constructors.map((construct) => construct())]
  const disable = enableInstrumentations(instrumentations, provider)
  const esm = await hookEsmImports(hookedModules(instrumentations), entry)
  if (esm === 'unavailable') {
    sightline.internal(
      'warn',
      {},
      'OpenTelemetry instrumentations: @opentelemetry/instrumentation (import-in-the-middle) was not found, so ES module imports are not patched; require() is',
    )
  }
  for (const instrumentation of instrumentations) {
    const overlap = overlapOf(instrumentation)
    if (overlap !== undefined) {
      sightline.internal(
        'warn',
        { instrumentation: instrumentation.instrumentationName },
        `Sightline makes ${overlap} itself: with this instrumentation too, those calls are traced twice`,
      )
    }
  }
  sightline.internal(
    'info',
    { instrumentations: instrumentations.map((i) => i.instrumentationName), esm_hook: esm },
    'OpenTelemetry instrumentations enabled',
  )
  return disable
}
