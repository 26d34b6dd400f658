/**
 * @module tracing/spans
 * Manual spans (the brief's `start_as_current_span`) and the current span.
 */
import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { tracerFor } from './recording.js'

export const TRACER_NAME = 'sightline'

export interface SpanOptions {
  attributes?: Attributes
  kind?: SpanKind
}

/**
 * Runs `fn` inside a new span, child of the current one; ends it when `fn` returns or its promise
 * settles, recording an exception and an error status if it throws.
 * @example
 * const patient = await withSpan('fetch_patient_data', async (span) => {
 *   span.setAttribute('patient.id', id)
 *   return repository.getPatient(id)
 * })
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options: SpanOptions = {}): T {
  const tracer = tracerFor(TRACER_NAME)
  return tracer.startActiveSpan(
    name,
    { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL },
    (span) => {
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
    },
  )
}

/** The active span (the request's server span, or the innermost manual span), if any. */
export function currentSpan(): Span | undefined {
  return trace.getActiveSpan()
}

function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error)
  else span.recordException(String(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
}
