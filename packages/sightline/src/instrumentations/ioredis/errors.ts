/**
 * @module instrumentations/ioredis/errors
 * `error_type` of a failed Redis command, from a bounded set: the prefix of a Redis error reply
 * (`WRONGTYPE`, `ERR`, `NOSCRIPT`…), `timeout` for ioredis' own `commandTimeout`, a Node error code
 * (`ECONNRESET`), else the error's class. Never the message: Redis quotes the command's arguments
 * in some replies (`ERR unknown command 'x', with args beginning with: …`).
 */
import { CLIENT_TIMEOUT, endedByTimer } from '../pg/timeouts.js'

/** The label of a command ioredis gave up on at its `commandTimeout`: pg's for its own timer. */
export { CLIENT_TIMEOUT }
/** The label past the cap, and of what is not an error at all. */
export const OTHER = '_OTHER'
/** Distinct labels one client may produce; a Lua script may `error_reply` any word, so they are capped. */
const MAX_ERROR_TYPES = 32

const REPLY_PREFIX = /^([A-Z][A-Z0-9_-]{0,31})(?: |$)/
const CODE = /^[A-Z0-9_]{1,32}$/
const CLASS_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/

/** Classifies errors for one client; remembers the labels it gave so that their number stays bounded. */
export class ErrorTypes {
  private readonly seen = new Set<string>()

  /** `commandTimeoutMs`: the client's own limit; a code-less error no sooner than that is its timeout. */
  constructor(private readonly commandTimeoutMs: number | undefined) {}

  of(error: unknown, elapsedMs: number): string {
    return this.bounded(this.raw(error, elapsedMs))
  }

  private raw(error: unknown, elapsedMs: number): string {
    if (!(error instanceof Error)) return OTHER
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && CODE.test(code)) return code
    if (error.name === 'ReplyError') return REPLY_PREFIX.exec(error.message)?.[1] ?? 'ReplyError'
    // ioredis' "Command timed out" is a plain Error with a message only; matching messages would
    // break with its wording. Nothing else fails a code-less command that late: its timer did.
    if (endedByTimer(error, elapsedMs, this.commandTimeoutMs)) return CLIENT_TIMEOUT
    return CLASS_NAME.test(error.name) ? error.name : 'Error'
  }

  private bounded(label: string): string {
    if (this.seen.has(label)) return label
    if (this.seen.size >= MAX_ERROR_TYPES) return OTHER
    this.seen.add(label)
    return label
  }
}

/** The Redis error prefix of a reply error (semantic conventions' `db.response.status_code`), if any. */
export function replyPrefixOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined
  return REPLY_PREFIX.exec(error.message)?.[1]
}
