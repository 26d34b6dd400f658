/**
 * @module instrumentations/messaging/errors
 * The `error.type` of a failed send or handler: the error's code when it has a short one (a
 * socket's `ECONNRESET`, NATS' `503`), else its class name. Never its message, which may quote a
 * payload or a destination made from input.
 */

const SHORT_CODE = /^[A-Za-z0-9_.-]{1,48}$/
/** What the conventions call an error of no known type. */
export const OTHER_ERROR = '_OTHER'

export function errorTypeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return OTHER_ERROR
  const code = (error as { code?: unknown }).code
  if ((typeof code === 'string' && SHORT_CODE.test(code)) || typeof code === 'number') return String(code)
  const name = (error as { name?: unknown }).name
  return typeof name === 'string' && SHORT_CODE.test(name) ? name : OTHER_ERROR
}
