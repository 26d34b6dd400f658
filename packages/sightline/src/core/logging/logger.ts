/**
 * @module logger
 * The pino logger every Sightline line goes through: JSON on stdout, request and trace ids merged
 * into every line written during a request, secrets redacted, human-readable on a terminal.
 */

import { createRequire } from 'node:module'
import type { DestinationStream, Logger } from 'pino'
import { pino } from '../../vendor/pino.js'
import { fs } from '../builtins.js'
import { ERROR_CODES, SightlineError } from '../errors.js'
import { type RequestContext, storage } from '../pipeline/context.js'
import { LineWriter } from './line-writer.js'

/** Paths pino redacts by default: credentials in headers and password-like fields, one or two levels deep. */
export const DEFAULT_REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'passwd',
  '*.passwd',
  '*.*.passwd',
  'secret',
  '*.secret',
  '*.*.secret',
  'token',
  '*.token',
  '*.*.token',
  'access_token',
  '*.access_token',
  '*.*.access_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
  'cookie',
  '*.cookie',
]

export interface LoggerOptions {
  level: string
  service: string
  pretty: boolean
  redact: readonly string[]
  /** Where lines go; stdout (asynchronously buffered, flushed at shutdown) by default. */
  destination?: DestinationStream | NodeJS.WritableStream
  /** Wraps the destination to also export lines elsewhere (e.g. OTLP, see src/logging-otlp); lines still reach it. */
  exporter?: LogExporter
  /** Told how many lines the default stdout writer dropped (its buffer full, or stdout gone). */
  onDrop?: (lines: number) => void
}

/** Wraps a destination; the returned stream writes through to it. `forceFlush` is called at shutdown. */
export type LogExporter = (destination: DestinationStream) => DestinationStream & { forceFlush?(): Promise<void> }

const NO_FIELDS = Object.freeze({})
const STDOUT_FD = 1
const LOG_BATCH_CHARS = 16000
const LOG_FLUSH_MS = 100
/** What waits in memory while stdout is not keeping up (a stalled pipe) before lines are dropped. */
const LOG_MAX_BUFFERED_CHARS = 8 * 1024 * 1024

/**
 * The fields of the innermost manual span, when one is active (its span_id differs from the
 * request's): set by the instance's tracing. Undefined when tracing is off, so plain requests pay nothing.
 */
export type SpanFieldsProvider = (request: RequestContext | undefined) => Record<string, string> | undefined

export interface CreatedLogger {
  logger: Logger
  /** Where this logger's lines take the active manual span's ids from (the instance's tracing). */
  setSpanFields(provider: SpanFieldsProvider | undefined): void
  /** The stream lines are written to, for the access log's hand-built lines. */
  stream: DestinationStream
  /** Resolves once every line logged so far is written. */
  drain(): Promise<void>
  /** Writes whatever is buffered, synchronously; safe to call in an `exit` handler. */
  flush(): void
  /**
   * Runs `write` (a call of the logger) with no request or span fields: Sightline's own lines about
   * itself (an exporter failing) are no request's, whichever request's callback they run in.
   */
  withoutContext(write: () => void): void
}

export function createLogger(options: LoggerOptions): CreatedLogger {
  const resolved = resolveDestination(options)
  const stream = options.exporter === undefined ? resolved : options.exporter(resolved)
  let spanFields: SpanFieldsProvider | undefined
  let bare = false
  // Merges `request_id` (and the trace fields) of the request in flight, built once per request,
  // on the first line that needs it.
  const mixin = (): Record<string, string> => {
    if (bare) return NO_FIELDS
    const context = storage.getStore()
    if (spanFields !== undefined) {
      const fields = spanFields(context)
      if (fields !== undefined) return fields
    }
    if (context === undefined) return NO_FIELDS
    return context.logFields ?? context.buildLogFields()
  }
  const logger = pino(
    {
      level: options.level,
      base: { service: options.service },
      mixin,
      // pino's default merge writes into the mixin's object, which is cached per request: copy instead.
      mixinMergeStrategy: (merge: object, fields: object) => ({ ...fields, ...merge }),
      redact: { paths: [...options.redact], censor: '[Redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  )
  const flush = () => {
    const flushable = stream as DestinationStream & { flushSync?: () => void }
    try {
      flushable.flushSync?.()
    } catch {
      // A destination that is not ready (or already closed) has nothing left to lose.
    }
  }
  const drain = () => (resolved instanceof LineWriter ? resolved.flush() : Promise.resolve())
  // Lines still buffered when the process exits would be lost; flushSync is safe in an exit handler.
  if (options.destination === undefined && !options.pretty) process.once('exit', flush)
  const setSpanFields = (provider: SpanFieldsProvider | undefined) => {
    spanFields = provider
  }
  // pino calls the mixin synchronously, inside the logger call: the flag covers that one line.
  const withoutContext = (write: () => void) => {
    bare = true
    try {
      write()
    } finally {
      bare = false
    }
  }
  return { logger, setSpanFields, stream, drain, flush, withoutContext }
}

function resolveDestination(options: LoggerOptions): DestinationStream {
  if (options.destination !== undefined) return options.destination as DestinationStream
  if (options.pretty) return prettyStream()
  // Asynchronous, batched writes: a write(2) per line costs more than the rest of the pipeline.
  // Lines are written once 16 KB are buffered, and at most 100 ms after they were logged when
  // traffic is light; shutdown and process exit flush the rest.
  return new LineWriter({
    fd: STDOUT_FD,
    sync: isFileOrDevice(STDOUT_FD),
    batchChars: LOG_BATCH_CHARS,
    flushMs: LOG_FLUSH_MS,
    maxBufferedChars: LOG_MAX_BUFFERED_CHARS,
    onDrop: options.onDrop,
  })
}

/** A file, /dev/null or a terminal: writes that never wait on a reader. Pipes and sockets may. */
function isFileOrDevice(fd: number): boolean {
  try {
    const stat = fs.fstatSync(fd)
    return stat.isFile() || stat.isCharacterDevice()
  } catch {
    return false
  }
}

function prettyStream(): DestinationStream {
  // Loaded lazily so production never pays for it; pino-pretty is an optional peer dependency,
  // installed by those who ask for pretty output.
  const require = createRequire(import.meta.url)
  let pretty: (options: object) => DestinationStream
  try {
    pretty = require('pino-pretty') as typeof pretty
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error
    throw new SightlineError(
      ERROR_CODES.SIGHTLINE_ERR_MISSING_PEER,
      'pretty log output needs the package pino-pretty, which is not installed: npm install --save-dev pino-pretty (or log JSON: unset the pretty option)',
    )
  }
  return pretty({ sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'service' })
}
