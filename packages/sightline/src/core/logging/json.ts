/**
 * @module json
 * String escaping for hand-built JSON log lines.
 */

/**
 * Characters a hand-built line escapes: quote, backslash, C0 controls (CR/LF among them), the two
 * JavaScript line separators and surrogates (a lone one is not valid UTF-8).
 */
const ESCAPED_CLASS = String.raw`"\\\u0000-\u001f\u2028\u2029\ud800-\udfff`
const NEEDS_ESCAPE = new RegExp(`[${ESCAPED_CLASS}]`)
/** The same characters or `?`: one scan of a URL finds where its path ends and whether it needs escaping. */
export const QUERY_OR_ESCAPE = new RegExp(`[?${ESCAPED_CLASS}]`)

/** `value` as a JSON string literal. Skips `JSON.stringify` in the common case of nothing to escape. */
export function jsonString(value: string): string {
  return `"${jsonChars(value)}"`
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
