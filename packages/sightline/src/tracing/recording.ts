/**
 * @module tracing/recording
 * The question every instrumentation asks before building a span: does the active span record?
 * Inside a request Sightline traces, the answer is already in the request context, so an
 * unsampled request (9 in 10 at 10%) answers it without building its OpenTelemetry context
 * (ids, a non-recording span, a context object): ~1 µs per cache or database call saved.
 */
import { performance } from 'node:perf_hooks'
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import { storage } from '../core/pipeline/context.js'
import { randomSpanId } from './ids.js'
import { activeInstance, activeSpan, type TracingInstance } from './instance.js'
import { LightSpan } from './light-span.js'
import { keepRandomFlag } from './random-flag.js'
import { SpanIds } from './span-values.js'
import { TRACE_FLAG_RANDOM } from './trace-context.js'

/** The active span when it records (a child started now would be sampled), else undefined. */
export function recordingActiveSpan(): Span | undefined {
  const request = storage.getStore()
  const instance = request?.tracing as TracingInstance | undefined
  if (instance !== undefined) {
    // The pipeline decided sampling at the start: nothing under an unsampled server span records,
    // manual spans included, and its OpenTelemetry context is never built to find that out.
    if (request!.traceFlags !== '01') return undefined
    const span = trace.getSpan(instance.contextManager.active())
    return span?.isRecording() === true ? span : undefined
  }
  const span = activeSpan()
  return span?.isRecording() === true ? span : undefined
}

const tracers = new Map<string, { provider: TracerProvider; tracer: Tracer }>()

/**
 * `trace.getTracer(name)`, kept while the global provider stays the same: the SDK builds a
 * `name@version:schema` key and looks it up on every call (~0.25 µs a span). A new global provider
 * (tracing set up again) is noticed and the tracer fetched anew.
 */
export function tracerFor(name: string): Tracer {
  const provider = trace.getTracerProvider()
  let entry = tracers.get(name)
  if (entry === undefined || entry.provider !== provider) {
    entry = { provider, tracer: provider.getTracer(name) }
    tracers.set(name, entry)
  }
  return entry.tracer
}

const scopes = new Map<string, InstrumentationScope>()

/** The scope the SDK would give `getTracer(name)`; one object per name. */
export function scopeOf(name: string): InstrumentationScope {
  let scope = scopes.get(name)
  if (scope === undefined) {
    scope = { name, version: undefined, schemaUrl: undefined }
    scopes.set(name, scope)
  }
  return scope
}

/**
 * A client span of one of Sightline's instrumentations, child of `parent` (the recording span of
 * `parentContext`), from the tracing instance in charge (tracing/instance). With a parent-based
 * sampler and a sampled parent the answer is known, and a `LightSpan` is built; otherwise the SDK
 * decides. `attributes` are owned by the span. `kind` is CLIENT but for a message's PRODUCER span.
 */
export function startClientSpan(
  tracerName: string,
  name: string,
  attributes: Attributes,
  parent: Span,
  parentContext: Context,
  kind: SpanKind = SpanKind.CLIENT,
): Span {
  const parentSpanContext = parent.spanContext()
  const instance = activeInstance()
  const sink = instance?.sink
  if (sink === undefined || (parentSpanContext.traceFlags & TraceFlags.SAMPLED) === 0) {
    const tracer = instance === undefined ? tracerFor(tracerName) : instance.tracer(tracerName)
    const span = tracer.startSpan(name, { kind, attributes }, parentContext)
    keepRandomFlag(span, parentSpanContext, false)
    return span
  }
  return new LightSpan(
    sink,
    scopeOf(tracerName),
    kind,
    new SpanIds(
      parentSpanContext.traceId,
      randomSpanId(),
      TraceFlags.SAMPLED | (parentSpanContext.traceFlags & TRACE_FLAG_RANDOM),
      parentSpanContext.traceState,
    ),
    name,
    attributes,
    Object.keys(attributes).length,
    parentSpanContext,
    performance.now(),
    parentContext,
  )
}
