/**
 * @module json
 * String escaping for hand-built JSON log lines.
 */

/** Characters JSON requires escaped: quote, backslash and C0 controls (CR/LF among them). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/

/** `value` as a JSON string literal. Skips `JSON.stringify` in the common case of nothing to escape. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`
}
