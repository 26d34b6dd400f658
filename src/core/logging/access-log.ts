/**
 * @module access-log
 * One line per request, built by hand: the single most expensive thing on the request path is a
 * log line, so this one skips pino's serialiser and writes straight to its destination.
 * Every value that can come from a client goes through `jsonString`, so CR/LF or quotes never break a line.
 */
import type { Logger } from 'pino'
import type { RequestContext } from '../pipeline/context.js'
import { storage } from '../pipeline/context.js'
import { METHOD_NAMES, type RouteState } from '../pipeline/routes.js'
import { jsonString } from './json.js'
import { formatMillis, MillisClock } from './numbers.js'

export const ACCESS_LOG_MESSAGE = 'request completed'
/** Longest path written to a line; a 16 KB URL should not make a 16 KB log line. */
const MAX_LOGGED_PATH = 1024

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
}

export interface AccessRecord {
  context: RequestContext
  route: RouteState
  method: number
  status: number
  durationMs: number
  aborted: boolean
}

export class AccessLog {
  private readonly logger: Logger
  private readonly stream: { write(line: string): unknown }
  private readonly logQuery: boolean
  /** `,"service":"…"` cached at construction. */
  private readonly serviceField: string
  private readonly clock = new MillisClock()
  readonly write: (record: AccessRecord) => void

  constructor(options: AccessLogOptions) {
    this.logger = options.logger
    this.stream = options.stream
    this.logQuery = options.logQuery
    this.serviceField = `,"service":${jsonString(options.service)}`
    // The variant is chosen once, here, not per request.
    this.write = options.viaLogger ? this.writeViaLogger : this.writeLine
  }

  private levelOf(status: number): number {
    return status >= 500 ? LEVEL_ERROR : status >= 400 ? LEVEL_WARN : LEVEL_INFO
  }

  private readonly writeLine = (record: AccessRecord): void => {
    const level = this.levelOf(record.status)
    if (level < this.logger.levelVal) return
    const context = record.context
    let line = `{"level":"${level === LEVEL_INFO ? 'info' : level === LEVEL_WARN ? 'warn' : 'error'}","time":${this.clock.nowText()}${this.serviceField},"request_id":"${context.requestId}"`
    if (context.traceId !== undefined) {
      line += `,"trace_id":"${context.traceId}","span_id":"${context.spanId}","trace_flags":"${context.traceFlags}"`
    }
    line += `,"method":"${METHOD_NAMES[record.method]}","route":${record.route.logValue},"path":${jsonString(this.pathOf(context))},"status":${record.status},"duration_ms":${formatMillis(record.durationMs)}`
    const requestBytes = context.headers['content-length']
    if (requestBytes !== undefined) line += `,"req_bytes":${Number(requestBytes) || 0}`
    const responseBytes = context.res.getHeader('content-length')
    if (responseBytes !== undefined) line += `,"res_bytes":${Number(responseBytes) || 0}`
    if (record.aborted) line += ',"aborted":true'
    if (context.error !== undefined) line += `,"err":${JSON.stringify(serializeError(context.error))}`
    this.stream.write(`${line},"msg":"${ACCESS_LOG_MESSAGE}"}\n`)
  }

  private readonly writeViaLogger = (record: AccessRecord): void => {
    const level = this.levelOf(record.status)
    if (level < this.logger.levelVal) return
    const context = record.context
    const fields: Record<string, unknown> = {
      method: METHOD_NAMES[record.method],
      route: record.route.template,
      path: this.pathOf(context),
      status: record.status,
      duration_ms: Math.round(record.durationMs * 1000) / 1000,
    }
    if (record.aborted) fields.aborted = true
    if (context.error !== undefined) fields.err = serializeError(context.error)
    const method = level === LEVEL_INFO ? 'info' : level === LEVEL_WARN ? 'warn' : 'error'
    storage.run(context, () => this.logger[method](fields, ACCESS_LOG_MESSAGE))
  }

  private pathOf(context: RequestContext): string {
    const url = context.req.url ?? ''
    const query = this.logQuery ? -1 : url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path
  }
}

/** Type, message, code and stack of an error: what a reader needs, nothing the error happens to carry. */
export function serializeError(error: unknown): Record<string, unknown> {
  // A database error's message often repeats the value it refused (a date of birth, an email):
  // keep only its type and SQLSTATE, as the spans do.
  const fields = error as { code?: unknown; severity?: unknown }
  if (error instanceof Error && typeof fields.severity === 'string' && typeof fields.code === 'string') {
    return { type: error.name, code: fields.code }
  }
  if (error instanceof Error) {
    const out: Record<string, unknown> = { type: error.name, message: error.message }
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' || typeof code === 'number') out.code = code
    if (error.stack !== undefined) out.stack = error.stack
    return out
  }
  return { type: typeof error, message: String(error) }
}
