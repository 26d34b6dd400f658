/**
 * @module numbers
 * Numbers for the hand-built access line, written without V8's double-to-string: a non-integer
 * or a number past 2^31 goes through its shortest-digits algorithm (~900 instructions a call
 * under callgrind), and each line had two, its time and its duration.
 */

/** Above this many microseconds (35 minutes) a duration takes the general path. */
const MAX_FAST_MICROS = 2 ** 31

/** `''`, `.001` … `.999`, trailing zeros dropped (`.5`, `.05`): a fraction in thousandths as JavaScript prints it. */
const THOUSANDTHS: readonly string[] = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`,
)

/** `ms` rounded to the microsecond, printed exactly as `String(Math.round(ms * 1000) / 1000)` would. */
export function formatMillis(ms: number): string {
  const micros = Math.round(ms * 1000)
  // Negative, NaN or huge: the general path (rare, and it prints the same).
  if (!(micros >= 0 && micros < MAX_FAST_MICROS)) return String(micros / 1000)
  const whole = (micros / 1000) | 0
  return `${whole}${THOUSANDTHS[micros - whole * 1000]}`
}

/** Epoch milliseconds are printed as their millions and a six-digit rest, both small integers. */
const MILLION = 1_000_000

/**
 * Epoch milliseconds as text, what `String(now)` prints, without V8's double-to-string: `Date.now()`
 * is past 2^31, and printing it as its millions and a six-digit rest prints two small integers.
 */
export function formatEpochMillis(now: number): string {
  if (!(now >= MILLION && Number.isSafeInteger(now))) return String(now)
  const millions = Math.floor(now / MILLION)
  // 1,000,000 + rest is a seven-digit integer; its last six digits are the rest, zero-padded.
  return String(millions) + String(MILLION + (now - millions * MILLION)).slice(1)
}
