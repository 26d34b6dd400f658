/**
 * @module tracing/spans
 * Manual spans (the brief's `start_as_current_span`) and the current span.
 */
import {
  type Attributes,
  type Baggage,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import { activeContext, activeInstance, activeSpan } from './instance.js'
import { keepRandomFlag } from './random-flag.js'
import { tracerFor } from './recording.js'

export const TRACER_NAME = 'sightline'

export interface SpanOptions {
  attributes?: Attributes
  kind?: SpanKind
}

/**
 * Runs `fn` inside a new span, child of the current one; ends it when `fn` returns or its promise
 * settles, recording an exception and an error status if it throws. The span comes from the
 * tracing of the Sightline serving the request (tracing/instance), else OpenTelemetry's global.
 * @example
 * const patient = await withSpan('fetch_patient_data', async (span) => {
 *   span.setAttribute('patient.id', id)
 *   return repository.getPatient(id)
 * })
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options: SpanOptions = {}): T {
  const instance = activeInstance()
  const parent = instance === undefined ? context.active() : instance.contextManager.active()
  const tracer = instance === undefined ? tracerFor(TRACER_NAME) : instance.tracer(TRACER_NAME)
  const span = tracer.startSpan(
    name,
    { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL },
    parent,
  )
  // A new trace's ids come from Sightline's generator (random) only when its instance started it.
  keepRandomFlag(span, trace.getSpanContext(parent), instance !== undefined)
  const active = trace.setSpan(parent, span)
  return (instance === undefined ? context : instance.contextManager).with(active, () => {
    let result: T
    try {
      result = fn(span)
    } catch (error) {
      fail(span, error)
      span.end()
      throw error
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          span.end()
          return value
        },
        (error: unknown) => {
          fail(span, error)
          span.end()
          throw error
        },
      ) as T
    }
    span.end()
    return result
  })
}

/** The active span (the request's server span, or the innermost manual span), if any. */
export function currentSpan(): Span | undefined {
  return activeSpan()
}

/**
 * The W3C baggage of the request in flight (what its `baggage` header carried), as the tracing
 * instance serving it sees it: unlike `propagation.getBaggage(context.active())`, this works
 * without the instance being the process' global tracer.
 * @example const tenant = currentBaggage()?.getEntry('tenant')?.value
 */
export function currentBaggage(): Baggage | undefined {
  return propagation.getBaggage(activeContext())
}

function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error)
  else span.recordException(String(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
}
