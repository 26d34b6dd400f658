/**
 * @module viewer/decode
 * Percent-decoding that cannot throw: `decodeURIComponent` throws a URIError on a malformed escape
 * (`%E0%A4%A`), and one such request used to end the viewer's process.
 */

/** The decoded text, or `undefined` when `text` is not valid percent-encoding. */
export function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}
