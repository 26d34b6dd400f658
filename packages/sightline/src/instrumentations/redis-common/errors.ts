/**
 * @module instrumentations/redis-common/errors
 * `error_type` of a failed Redis command, from a bounded set, for any client: the prefix of a Redis
 * error reply (`WRONGTYPE`, `ERR`, `NOSCRIPT`…), `timeout` for the client's own command timeout, a
 * Node error code (`ECONNRESET`), else the error's class. Never the message: Redis quotes the
 * command's arguments in some replies (`ERR unknown command 'x', with args beginning with: …`).
 * What differs between clients (how a reply error and a timeout look) is the `ErrorShape` each gives.
 */
import { CLIENT_TIMEOUT } from '../pg/timeouts.js'

/** The label of a command the client gave up on at its own timeout: pg's for its own timer. */
export { CLIENT_TIMEOUT }
/** The label past the cap, and of what is not an error at all. */
export const OTHER = '_OTHER'
/** Distinct labels one client may produce; a Lua script may `error_reply` any word, so they are capped. */
const MAX_ERROR_TYPES = 32

const REPLY_PREFIX = /^([A-Z][A-Z0-9_-]{0,31})(?: |$)/
const CODE = /^[A-Z0-9_]{1,32}$/
const CLASS_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/

/** How one client's errors look. */
export interface ErrorShape {
  /** True for an error the Redis server replied with (its message starts with the prefix). */
  isReply(error: Error): boolean
  /** True for the client giving up on the command at its own timeout. */
  isTimeout(error: Error, elapsedMs: number): boolean
}

/** Classifies errors for one client; remembers the labels it gave so that their number stays bounded. */
export class ErrorTypes {
  private readonly seen = new Set<string>()

  constructor(private readonly shape: ErrorShape) {}

  of(error: unknown, elapsedMs: number): string {
    return this.bounded(this.raw(error, elapsedMs))
  }

  /** The Redis error prefix of a reply error (semantic conventions' `db.response.status_code`), if any. */
  statusCode(error: unknown): string | undefined {
    if (!(error instanceof Error) || !this.shape.isReply(error)) return undefined
    return REPLY_PREFIX.exec(error.message)?.[1]
  }

  private raw(error: unknown, elapsedMs: number): string {
    if (!(error instanceof Error)) return OTHER
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && CODE.test(code)) return code
    if (this.shape.isReply(error)) return REPLY_PREFIX.exec(error.message)?.[1] ?? className(error)
    if (this.shape.isTimeout(error, elapsedMs)) return CLIENT_TIMEOUT
    return className(error)
  }

  private bounded(label: string): string {
    if (this.seen.has(label)) return label
    if (this.seen.size >= MAX_ERROR_TYPES) return OTHER
    this.seen.add(label)
    return label
  }
}

/**
 * The error's `name`, or its class when the name is the generic `Error` (node-redis leaves every
 * one of its errors named `Error`: `ClientClosedError` says more).
 */
export function className(error: Error): string {
  const name = error.name !== 'Error' ? error.name : (error.constructor as { name?: unknown } | undefined)?.name
  return typeof name === 'string' && CLASS_NAME.test(name) ? name : 'Error'
}

/** True when one of the classes `error` is made from (its own or a parent) is named `name`. */
export function isA(error: object, name: string): boolean {
  for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === name) return true
    if (proto === Error.prototype) return false
  }
  return false
}
