/**
 * @module tracing/span-values
 * The objects a span keeps until its batch is exported, built without object or array literals.
 *
 * V8 gives every literal an allocation site and watches how many of the site's objects survive a
 * young-generation collection; a site whose objects nearly all survive is pretenured, and from then
 * on its objects are allocated straight into the old generation. A sampled span's objects do
 * survive (they wait in the batch processor), so the literal sites of its context, attributes,
 * status and times were pretenured. On doctor-api at 10% sampling (Node 24) the old generation
 * then grew by ~100 bytes a request and a full mark-compact ran every 2-10 s, its marking on V8's
 * helper threads; with these constructors it grows by ~8 bytes a request, as without tracing, and
 * no mark-compact runs in 10 s (the measurements are in docs/performance.md).
 *
 * `new` on a plain function and `Array.of` have no allocation site: what they make is promoted
 * only if it really lives through two collections. The constructors give their objects
 * `Object.prototype`, so to an exporter, a deep equality or `util.inspect` they are the plain
 * objects a literal makes.
 */
import type { HrTime, SpanContext, SpanStatus, SpanStatusCode, TraceState } from '@opentelemetry/api'

const MILLIS_PER_SECOND = 1000
const NANOS_PER_MILLI = 1e6
const NANOS_PER_SECOND = 1e9

/**
 * `construct`, made a constructor of plain objects (prototype `Object.prototype`). Write one per
 * kind of object, its keys set in the same order every time, so each keeps one hidden class; the
 * cast gives it the `new` signature TypeScript can't infer from a function.
 */
export function plainConstructor<C>(construct: (this: never, ...args: never[]) => void): C {
  construct.prototype = Object.prototype
  return construct as unknown as C
}

/** A span's identity: `new SpanIds(traceId, spanId, traceFlags, traceState)`. */
export const SpanIds = plainConstructor<
  new (
    traceId: string,
    spanId: string,
    traceFlags: number,
    traceState: TraceState | undefined,
  ) => SpanContext
>(function (this: Record<string, unknown>, traceId: string, spanId: string, traceFlags: number, traceState?: unknown) {
  this.traceId = traceId
  this.spanId = spanId
  this.traceFlags = traceFlags
  this.traceState = traceState
})

/** A span status; `message` only when given, as the SDK has it. */
export const Status = plainConstructor<new (code: SpanStatusCode, message?: string) => SpanStatus>(function (
  this: Record<string, unknown>,
  code: number,
  message?: string,
) {
  this.code = code
  if (message !== undefined) this.message = message
})

/** `millisToHrTime` of @opentelemetry/core, without its array literal. */
export function hrTimeOf(epochMillis: number): HrTime {
  const seconds = Math.trunc(epochMillis / MILLIS_PER_SECOND)
  return Array.of(seconds, Math.round((epochMillis % MILLIS_PER_SECOND) * NANOS_PER_MILLI)) as HrTime
}

/** `hrTimeDuration` of @opentelemetry/core, without its array literal. */
export function hrTimeBetween(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0]
  let nanos = end[1] - start[1]
  if (nanos < 0) {
    seconds -= 1
    nanos += NANOS_PER_SECOND
  }
  return Array.of(seconds, nanos) as HrTime
}
