/**
 * @module tracing/instance
 * What one `setupTracing` owns: its provider, context manager, propagator and span sink. Every
 * request the instance's pipeline starts points at it (`RequestContext.tracing`), so Sightline's
 * instrumentations (manual spans, outgoing calls, Postgres, cache, log correlation) use the tracing
 * of the instance that is serving the request, never a process-wide one: two instances in one
 * process (two services in a test, a library and its host) keep their spans, ids and sampling apart.
 *
 * Outside any request (a background job), the instance registered as OpenTelemetry's global
 * (`global: true`, the zero-code launcher) answers; with none, OpenTelemetry's own API does.
 */
import { type Context, context, type Span, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api'
import { type RequestContext, storage } from '../core/pipeline/context.js'
import type { HttpClientMetrics } from './client-metrics.js'
import type { SightlineContextManager } from './context-manager.js'
import type { SpanSink } from './light-span.js'

interface Provider {
  getTracer(name: string): Tracer
}

export class TracingInstance {
  private readonly tracers = new Map<string, Tracer>()

  constructor(
    readonly provider: Provider,
    readonly contextManager: SightlineContextManager,
    readonly propagator: TextMapPropagator,
    /** Set when the sampler is parent-based: a sampled parent's children skip the SDK's decision. */
    readonly sink: SpanSink | undefined,
    /** Outgoing calls' durations, on the instance's registry (undefined with metrics off). */
    readonly clientMetrics: HttpClientMetrics | undefined = undefined,
  ) {}

  /** `provider.getTracer(name)`, kept: the SDK builds and looks up a key on every call. */
  tracer(name: string): Tracer {
    let tracer = this.tracers.get(name)
    if (tracer === undefined) {
      tracer = this.provider.getTracer(name)
      this.tracers.set(name, tracer)
    }
    return tracer
  }

  /** The log fields of the innermost manual span, when one is active (else the request's own). */
  spanFields(request: RequestContext | undefined): Record<string, string> | undefined {
    const explicit = this.contextManager.explicit()
    if (explicit === undefined) return undefined
    const spanContext = trace.getSpanContext(explicit)
    if (spanContext === undefined) return undefined
    const fields: Record<string, string> = {
      trace_id: spanContext.traceId,
      span_id: spanContext.spanId,
      trace_flags: (spanContext.traceFlags & 1) === 1 ? '01' : '00',
    }
    return request === undefined ? fields : { request_id: request.requestId, ...fields }
  }
}

/**
 * The instances registered as OpenTelemetry's global tracer, by provider: the one in force is found
 * from the API's own global, so a later registration by anyone else is respected.
 */
const globalInstances = new WeakMap<object, TracingInstance>()

export function registerGlobalInstance(instance: TracingInstance): void {
  globalInstances.set(instance.provider, instance)
}

function globalInstance(): TracingInstance | undefined {
  const proxy = trace.getTracerProvider() as { getDelegate?: () => object }
  const provider = proxy.getDelegate?.() ?? proxy
  return globalInstances.get(provider)
}

/** The tracing in charge here: the request's instance, else the global one, else none. */
export function activeInstance(): TracingInstance | undefined {
  return (storage.getStore()?.tracing as TracingInstance | undefined) ?? globalInstance()
}

/** The active OpenTelemetry context, as the instance in charge sees it. */
export function activeContext(instance: TracingInstance | undefined = activeInstance()): Context {
  return instance === undefined ? context.active() : instance.contextManager.active()
}

/** The active span, as the instance in charge sees it. */
export function activeSpan(): Span | undefined {
  return trace.getSpan(activeContext())
}
