/**
 * @module tracing/random-flag
 * Trace Context Level 2's random trace-id flag on spans the OpenTelemetry SDK starts. Its tracer
 * sets only the sampled flag (OpenTelemetry JS knows no other), so a child would send `-01`/`-00`
 * in a trace whose ids are random and whose caller said so with `-03`/`-02`. The flag describes the
 * trace-id, so a child of the same trace takes its parent's; a new trace gets it when its id came
 * from Sightline's generator (tracing/ids: random).
 */
import type { Span, SpanContext } from '@opentelemetry/api'
import { TRACE_FLAG_RANDOM } from './trace-context.js'

/** Sets the random flag on `span` when `parent` (same trace) has it, or when `ownIds` is true. */
export function keepRandomFlag(span: Span, parent: SpanContext | undefined, ownIds: boolean): void {
  const own = span.spanContext() as { traceId: string; traceFlags: number }
  const random =
    parent === undefined || parent.traceId !== own.traceId ? ownIds : (parent.traceFlags & TRACE_FLAG_RANDOM) !== 0
  // The SDK's span context is a plain object of its own making, read whenever the span is propagated.
  if (random) own.traceFlags |= TRACE_FLAG_RANDOM
}
