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

/**
 * `value` escaped to go between a JSON string's quotes, the quotes left to the caller: a line
 * whose cached pieces end and start with them is built from two pieces fewer.
 */
export function jsonChars(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value).slice(1, -1) : value
}

/**
 * `text` as one flat string. V8 keeps a concatenation of 13 characters or more as a tree of its
 * pieces (a rope), and every line built on a cached rope walks and copies its pieces again when
 * the line is flattened for writing (~30 instructions a piece under callgrind). A piece kept for
 * the life of the process is flattened here, once: `JSON.parse` always returns a flat string.
 */
export function flatString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string
}
