/**
 * @module tracing/context-manager
 * OpenTelemetry's AsyncLocalStorage context manager, with one addition: when no OpenTelemetry
 * context was set, the active context is the request's server span, taken from Sightline's own
 * request context. So the pipeline enters one `AsyncLocalStorage` store per request, not two, and the
 * context for an unsampled request is only built if something asks for it.
 */

import { type Context, ROOT_CONTEXT, type Span, type TraceState, trace } from '@opentelemetry/api'
import { type RequestContext, storage } from '../core/pipeline/context.js'
import { AsyncLocalStorageContextManager } from '../vendor/otel-sdk.js'
import { randomSpanId, randomTraceId } from './ids.js'
import { TRACE_FLAG_RANDOM } from './trace-context.js'

/**
 * What a request's incoming headers carried, kept in `RequestContext.otelContext` until the
 * request's OpenTelemetry context is built from it (only if something asks): the extracted context
 * (baggage, and whatever other propagators put there) and, for an unsampled request, the flags and
 * tracestate its non-recording span forwards. One object, so the unsampled path builds no context.
 */
export class RemoteParent {
  constructor(
    readonly context: Context,
    /** The random trace-id flag of the trace (the sampled flag is the request's own decision). */
    readonly traceFlags: number,
    readonly traceState: TraceState | undefined,
  ) {}
}

/** The OpenTelemetry context of a request: its server span, or a non-recording one carrying its ids. */
export function requestOtelContext(request: RequestContext): Context {
  const existing = request.otelContext as Context | RemoteParent | undefined
  if (existing !== undefined && !(existing instanceof RemoteParent)) return existing
  if (request.traceId === undefined) {
    // An unsampled new trace: its ids are made now, the first time something needs them.
    request.traceId = randomTraceId()
    request.spanId = randomSpanId()
    request.traceFlags = '00'
    request.logFields = undefined
  }
  const span =
    (request.span as Span | undefined) ??
    trace.wrapSpanContext({
      traceId: request.traceId,
      spanId: request.spanId as string,
      // Unsampled here: a sampled request has its span. Sightline's own trace ids are random.
      traceFlags: existing === undefined ? TRACE_FLAG_RANDOM : existing.traceFlags,
      isRemote: false,
      traceState: existing?.traceState,
    })
  const context = trace.setSpan(existing === undefined ? ROOT_CONTEXT : existing.context, span)
  request.otelContext = context
  return context
}

export class SightlineContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    const own = super.active()
    if (own !== ROOT_CONTEXT) return own
    const request = storage.getStore()
    return request === undefined ? ROOT_CONTEXT : requestOtelContext(request)
  }

  /** The context set by `context.with` (a manual span), ignoring the request fallback. */
  explicit(): Context | undefined {
    const own = super.active()
    return own === ROOT_CONTEXT ? undefined : own
  }
}
