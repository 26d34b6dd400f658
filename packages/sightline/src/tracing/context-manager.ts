/**
 * @module tracing/context-manager
 * OpenTelemetry's AsyncLocalStorage context manager, with one addition: when no OpenTelemetry
 * context was set, the active context is the request's server span, taken from Sightline's own
 * request context. So the pipeline enters one `AsyncLocalStorage` store per request, not two, and the
 * context for an unsampled request is only built if something asks for it.
 */

import { type Context, ROOT_CONTEXT, type Span, TraceFlags, trace } from '@opentelemetry/api'
import { type RequestContext, storage } from '../core/pipeline/context.js'
import { AsyncLocalStorageContextManager } from '../vendor/otel-sdk.js'
import { randomSpanId, randomTraceId } from './ids.js'

/** The OpenTelemetry context of a request: its server span, or a non-recording one carrying its ids. */
export function requestOtelContext(request: RequestContext): Context {
  if (request.traceId === undefined) {
    // An unsampled new trace: its ids are made now, the first time something needs them.
    request.traceId = randomTraceId()
    request.spanId = randomSpanId()
    request.traceFlags = '00'
    request.logFields = undefined
  }
  let context = request.otelContext as Context | undefined
  if (context === undefined) {
    const span =
      (request.span as Span | undefined) ??
      trace.wrapSpanContext({
        traceId: request.traceId,
        spanId: request.spanId as string,
        traceFlags: request.traceFlags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: false,
      })
    context = trace.setSpan(ROOT_CONTEXT, span)
    request.otelContext = context
  }
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
