/**
 * @module viewer/time
 * OTLP timestamps (nanoseconds since the epoch, a number or a decimal string) to milliseconds, and
 * which of them the viewer can use. A negative or non-numeric start time once reached the golden
 * signals as a negative bucket index and failed the whole batch with a TypeError; now it is
 * recognised here and the span alone is refused.
 */

/** The last millisecond a JavaScript `Date` represents: later times cannot be shown. */
export const MAX_TIME_MS = 8.64e15

/**
 * Nanoseconds to milliseconds; `NaN` for anything that is not a non-negative integer count.
 * @example nanosToMs('1700000000123456789') // 1700000000123.4568
 */
export function nanosToMs(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value / 1e6 : Number.NaN
  if (typeof value !== 'string' || !/^\d{1,30}$/.test(value)) return Number.NaN
  // Split so the division keeps microseconds: a nanosecond count does not fit a double exactly.
  const cut = value.length - 6
  if (cut <= 0) return Number(value) / 1e6
  return Number(value.slice(0, cut)) + Number(value.slice(cut)) / 1e6
}

/** A time the viewer can store and show: after the epoch and within `Date`'s range. */
export function isUsableTime(ms: number): boolean {
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_TIME_MS
}
