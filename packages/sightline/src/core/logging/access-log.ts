/**
 * @module access-log
 * One line per request, built by hand: the single most expensive thing on the request path is a
 * log line, so this one skips pino's serialiser and writes straight to its destination.
 * Every value that can come from a client goes through `jsonString`, so CR/LF or quotes never break a line.
 */
import type { Logger } from 'pino'
import type { AccessRecordSink } from '../../logging-otlp/access-capture.js'
import { ACCESS_LOG_MESSAGE, CHAR_QUERY, HEADER_CONTENT_LENGTH } from '../constants.js'
import type { ErrorFingerprint } from '../error-groups/fingerprint.js'
import type { RequestContext } from '../pipeline/context.js'
import { storage } from '../pipeline/context.js'
import { METHOD_NAMES, type RouteState } from '../pipeline/routes.js'
import { flatString, jsonChars, jsonString, QUERY_OR_ESCAPE } from './json.js'
import { formatEpochMillis, formatMillis } from './numbers.js'

/** Longest path written to a line; a 16 KB URL should not make a 16 KB log line. */
const MAX_LOGGED_PATH = 1024

/** Status codes below this get a cached piece of line (HTTP's are three digits). */
const MAX_STATUS = 1000
const LINE_END = flatString(`,"msg":"${ACCESS_LOG_MESSAGE}"}\n`)
/** The trace fields' keys; each closes the previous value's quote and opens its own. */
const TRACE_ID_KEY = flatString('","trace_id":"')
const SPAN_ID_KEY = flatString('","span_id":"')
const TRACE_FLAGS_KEY = flatString('","trace_flags":"')
const REQ_BYTES_KEY = flatString(',"req_bytes":')
const RES_BYTES_KEY = flatString(',"res_bytes":')
const ABORTED_FIELD = ',"aborted":true'
const INFO_HEAD = '{"level":"info","time":'

const LEVEL_INFO = 30
const LEVEL_WARN = 40
const LEVEL_ERROR = 50

export interface AccessLogOptions {
  logger: Logger
  stream: { write(line: string): unknown }
  service: string
  /** Write the whole URL, query string included. Off by default: query strings carry personal data. */
  logQuery: boolean
  /** Go through pino (for pretty output) instead of writing the hand-built line. */
  viaLogger: boolean
  /**
   * Log export's sink, when export is on: the line then goes to its destination and the record is
   * written from the same values (logging-otlp/access-record), not scanned back out of the line.
   */
  records?: AccessRecordSink
}

/**
 * Writes one request's line. Positional, not a record object: called once per request, and an
 * object literal there is an allocation the line does not need.
 */
export type AccessWrite = (
  context: RequestContext,
  route: RouteState,
  method: number,
  status: number,
  durationMs: number,
  aborted: boolean,
) => void

export class AccessLog {
  private readonly logger: Logger
  private readonly logQuery: boolean
  /** `,"service":"…","request_id":"`, made once and flat: what follows the time in every line's prefix. */
  private readonly prefixTail: string
  private prefixMillis = -1
  private timeText = ''
  private infoPrefix = ''
  private readonly byStatus: string[] = []
  private readonly stream: { write(line: string): unknown }
  private readonly records: AccessRecordSink | undefined
  /** The path the last line shows, unescaped (what `pathChars` escaped, or did not need to). */
  private rawPath = ''
  readonly write: AccessWrite

  constructor(options: AccessLogOptions) {
    this.logger = options.logger
    this.logQuery = options.logQuery
    this.prefixTail = flatString(`,"service":${jsonString(options.service)},"request_id":"`)
    this.records = options.viaLogger ? undefined : options.records
    this.stream = this.records?.destination ?? options.stream
    // The variant is chosen once, here, not per request.
    this.write = options.viaLogger ? this.writeViaLogger : this.writeLine
  }

  private levelOf(status: number): number {
    return status >= 500 ? LEVEL_ERROR : status >= 400 ? LEVEL_WARN : LEVEL_INFO
  }

  private readonly writeLine: AccessWrite = (context, route, method, status, durationMs, aborted) => {
    const level = this.levelOf(status)
    if (level < this.logger.levelVal) return
    // Few pieces: the constant parts come cached (per millisecond, per route and method, per
    // status); each piece of a concatenation is ~45 instructions under callgrind. (Queuing the
    // pieces in the writer's batch and joining them there, tried, counted ~2,800 more a request:
    // an array push each, and the join's per-element cost.)
    let line = this.prefix(level) + context.requestId
    if (context.traceId !== undefined) {
      line += `${TRACE_ID_KEY}${context.traceId}${SPAN_ID_KEY}${context.spanId}${TRACE_FLAGS_KEY}${context.traceFlags}`
    }
    line += route.accessFields(method) + this.pathChars(context) + this.statusFields(status) + formatMillis(durationMs)
    const requestHeader = context.headers[HEADER_CONTENT_LENGTH]
    const requestBytes = requestHeader === undefined ? undefined : Number(requestHeader) || 0
    if (requestBytes !== undefined) line += `${REQ_BYTES_KEY}${requestBytes}`
    const responseHeader = context.responseBytes ?? context.res.getHeader(HEADER_CONTENT_LENGTH)
    const responseBytes = responseHeader === undefined ? undefined : Number(responseHeader) || 0
    if (responseBytes !== undefined) line += `${RES_BYTES_KEY}${responseBytes}`
    if (aborted) line += ABORTED_FIELD
    const errorJson =
      context.error === undefined
        ? undefined
        : JSON.stringify(serializeError(context.error, status, context.fingerprint))
    if (errorJson !== undefined) line += `,"err":${errorJson}`
    this.stream.write(line + LINE_END)
    const records = this.records
    if (records === undefined) return
    const capture = records.beginRecord()
    if (capture === undefined) return
    capture.add(
      level,
      this.prefixMillis,
      context.requestId,
      context.traceId,
      context.spanId,
      context.traceFlags,
      route,
      method,
      METHOD_NAMES[method] ?? '_OTHER',
      this.rawPath,
      status,
      durationMs,
      requestBytes,
      responseBytes,
      aborted,
      errorJson,
    )
    records.endRecord()
  }

  /**
   * `{"level":"info","time":…,"service":"…","request_id":"`, remade once per millisecond (compared
   * as a number: two texts of one length compare character by character).
   */
  private prefix(level: number): string {
    const now = Date.now()
    if (now !== this.prefixMillis) {
      this.prefixMillis = now
      this.timeText = formatEpochMillis(now)
      // Three pieces, two of them flat: the line's rope stays shallow.
      this.infoPrefix = INFO_HEAD + this.timeText + this.prefixTail
    }
    if (level === LEVEL_INFO) return this.infoPrefix
    return `{"level":"${level === LEVEL_WARN ? 'warn' : 'error'}","time":${this.timeText}${this.prefixTail}`
  }

  /** `","status":200,"duration_ms":`, made once per status code: it closes the path's quote. */
  private statusFields(status: number): string {
    if (!(status >= 0 && status < MAX_STATUS && Number.isInteger(status))) return `","status":${status},"duration_ms":`
    let fields = this.byStatus[status]
    if (fields === undefined) {
      fields = flatString(`","status":${status},"duration_ms":`)
      this.byStatus[status] = fields
    }
    return fields
  }

  private readonly writeViaLogger: AccessWrite = (context, route, method, status, durationMs, aborted) => {
    const level = this.levelOf(status)
    if (level < this.logger.levelVal) return
    const fields: Record<string, unknown> = {
      method: METHOD_NAMES[method],
      route: route.template,
      path: this.pathOf(context),
      status,
      duration_ms: Math.round(durationMs * 1000) / 1000,
    }
    if (aborted) fields.aborted = true
    if (context.error !== undefined) fields.err = serializeError(context.error, status, context.fingerprint)
    const log = level === LEVEL_INFO ? 'info' : level === LEVEL_WARN ? 'warn' : 'error'
    storage.run(context, () => this.logger[log](fields, ACCESS_LOG_MESSAGE))
  }

  /**
   * The path as it goes between the line's quotes: escaped, its query string dropped (unless
   * `logQuery`). A usual URL takes one regex scan, which finds its query string if it has one.
   */
  private pathChars(context: RequestContext): string {
    const url = context.req.url ?? ''
    if (!this.logQuery && url.length <= MAX_LOGGED_PATH) {
      const stop = url.search(QUERY_OR_ESCAPE)
      if (stop === -1) {
        this.rawPath = url
        return url
      }
      // Everything before the query string was scanned: nothing there needs escaping.
      if (url.charCodeAt(stop) === CHAR_QUERY) {
        this.rawPath = url.slice(0, stop)
        return this.rawPath
      }
    }
    this.rawPath = this.pathOf(context)
    return jsonChars(this.rawPath)
  }

  private pathOf(context: RequestContext): string {
    const url = context.req.url ?? ''
    const query = this.logQuery ? -1 : url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path
  }
}

/** What stands for the message of an error made from the request body, which may quote it. */
export const BODY_PARSE_MESSAGE = 'the request body could not be parsed'

/**
 * An error whose message can quote the request's body: JSON.parse's SyntaxError (Node 20+ quotes
 * the text: `"password":LEAKPW9} is not valid JSON`), body-parser's `entity.parse.failed` (which
 * also carries the raw `body`), and any error with a `body` field.
 */
function isBodyParseError(error: Error): boolean {
  const fields = error as { type?: unknown; body?: unknown }
  return error instanceof SyntaxError || fields.type === 'entity.parse.failed' || fields.body !== undefined
}

/**
 * The SQLSTATE of a database's error (pg's and PGlite's carry a `severity` and a `code`; mysql2's
 * a `sqlState` beside its `errno`), else undefined: other errors with a `code` (ECONNRESET) are not
 * the database's answer.
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  const fields = error as { code?: unknown; severity?: unknown; sqlState?: unknown; errno?: unknown }
  if (typeof fields.severity === 'string' && typeof fields.code === 'string') return fields.code
  if (typeof fields.sqlState === 'string' && typeof fields.errno === 'number') return fields.sqlState
  return undefined
}

/**
 * The error's type: its `name`, or its class when the name says nothing (pg names every
 * server error `error`; a subclass that sets no name is `Error`).
 */
export function errorTypeName(error: Error): string {
  const name = error.name
  if (name !== '' && name !== 'error' && name !== 'Error') return name
  const constructorName = (error.constructor as { name?: unknown } | undefined)?.name
  return typeof constructorName === 'string' && constructorName !== '' ? constructorName : name || 'Error'
}

/** Longest identifier (table, column, constraint) quoted in a database error's message. */
const MAX_IDENTIFIER = 64

/**
 * What stands for a database error's message, which often repeats the value it refused (`invalid
 * input syntax for type integer: "…"`): its SQLSTATE and the schema names it gave (table, column,
 * constraint), which are the schema's, never a request's.
 */
function databaseMessage(error: Error, code: string): string {
  const fields = error as { table?: unknown; column?: unknown; constraint?: unknown; code?: unknown }
  let message = `database error SQLSTATE ${code}`
  // MySQL's own code (ER_DUP_ENTRY) names the kind of refusal; its message quotes the value.
  if (typeof fields.code === 'string' && fields.code !== code && /^ER_[A-Z0-9_]{1,60}$/.test(fields.code)) {
    message += ` ${fields.code}`
  }
  if (typeof fields.table === 'string') message += ` table ${fields.table.slice(0, MAX_IDENTIFIER)}`
  if (typeof fields.column === 'string') message += ` column ${fields.column.slice(0, MAX_IDENTIFIER)}`
  if (typeof fields.constraint === 'string') message += ` constraint ${fields.constraint.slice(0, MAX_IDENTIFIER)}`
  return message
}

/**
 * An error as lines and spans record it: type, message, code, its `fingerprint` and `frame` when
 * given (core/error-groups; ahead of the stack, so a line cut short downstream keeps them), and
 * the stack for server errors only (`status` ≥ 500, or unknown). Never request data: a body-parse
 * error's message is replaced, and so is a database error's (by its SQLSTATE, and the names of
 * what it refused).
 */
export function serializeError(
  error: unknown,
  status?: number,
  fingerprint?: ErrorFingerprint,
): Record<string, unknown> {
  if (!(error instanceof Error)) {
    const out: Record<string, unknown> = { type: typeof error, message: String(error) }
    if (fingerprint !== undefined) out.fingerprint = fingerprint.fingerprint
    return out
  }
  const sqlState = sqlStateOf(error)
  // Its stack is pg's parser, the same for every query: it says nothing about where it was run.
  if (sqlState !== undefined) {
    const out: Record<string, unknown> = {
      type: errorTypeName(error),
      message: databaseMessage(error, sqlState),
      code: sqlState,
    }
    if (fingerprint !== undefined) addFingerprint(out, fingerprint)
    return out
  }
  const bodyParse = isBodyParseError(error)
  const out: Record<string, unknown> = {
    type: errorTypeName(error),
    message: bodyParse ? BODY_PARSE_MESSAGE : error.message,
  }
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') out.code = code
  if (fingerprint !== undefined) addFingerprint(out, fingerprint)
  // A client error's stack says where the framework refused the request, every time: it only
  // makes a 404 line a kilobyte long.
  if (error.stack !== undefined && !bodyParse && !(status !== undefined && status < 500)) out.stack = error.stack
  return out
}

function addFingerprint(out: Record<string, unknown>, fingerprint: ErrorFingerprint): void {
  out.fingerprint = fingerprint.fingerprint
  if (fingerprint.frame !== '') out.frame = fingerprint.frame
}
