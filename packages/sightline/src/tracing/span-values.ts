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
 * `new` on a plain function and a copy of an array have no allocation site: what they make is
 * promoted only if it really lives through two collections. The constructors give their objects
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

/**
 * What span arrays are copied from. `slice` of a fast array copies it with no allocation site, as
 * `Array.of` did, for ~15 ns where `Array.of` took ~85: it sets `length` through the runtime's
 * generic property store (~900 instructions a call under callgrind, ~12,000 a sampled doctor-api
 * request, which makes seven arrays a span). The pair holds doubles, so an epoch's seconds (past a
 * small integer's range) are stored without changing the array's elements kind.
 */
const PAIR_TEMPLATE: number[] = [0.5, 0.5]
const EMPTY_TEMPLATE: never[] = []

/** A fresh `[first, second]`, built without an array literal. */
export function pairOf(first: number, second: number): HrTime {
  const pair = PAIR_TEMPLATE.slice() as HrTime
  pair[0] = first
  pair[1] = second
  return pair
}

/** A fresh empty array, built without an array literal. */
export function emptyArray<T>(): T[] {
  return EMPTY_TEMPLATE.slice()
}

/** `millisToHrTime` of @opentelemetry/core, without its array literal. */
export function hrTimeOf(epochMillis: number): HrTime {
  const seconds = Math.trunc(epochMillis / MILLIS_PER_SECOND)
  return pairOf(seconds, Math.round((epochMillis % MILLIS_PER_SECOND) * NANOS_PER_MILLI))
}

/** `hrTimeDuration` of @opentelemetry/core, without its array literal. */
export function hrTimeBetween(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0]
  let nanos = end[1] - start[1]
  if (nanos < 0) {
    seconds -= 1
    nanos += NANOS_PER_SECOND
  }
  return pairOf(seconds, nanos)
}
