/**
 * @module logger
 * The pino logger every Sightline line goes through: JSON on stdout, request and trace ids merged
 * into every line written during a request, secrets redacted, human-readable on a terminal.
 */
import { createRequire } from 'node:module'
import { type DestinationStream, destination, type Logger, pino } from 'pino'
import { type RequestContext, storage } from '../pipeline/context.js'

/** Paths pino redacts by default: credentials in headers and password-like fields, one or two levels deep. */
export const DEFAULT_REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'passwd',
  '*.passwd',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
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
}

/** Wraps a destination; the returned stream writes through to it. `forceFlush` is called at shutdown. */
export type LogExporter = (destination: DestinationStream) => DestinationStream & { forceFlush?(): Promise<void> }

const NO_FIELDS = Object.freeze({})
const LOG_BATCH_BYTES = 16000
const LOG_FLUSH_MS = 100

/**
 * Set by the tracing module: the fields of the innermost manual span, when one is active (its
 * span_id differs from the request's). Undefined when tracing is off, so plain requests pay nothing.
 */
let spanFields: ((request: RequestContext | undefined) => Record<string, string> | undefined) | undefined

export function setSpanFieldsProvider(provider: typeof spanFields): void {
  spanFields = provider
}

/**
 * Merges `request_id` (and the trace fields the tracing module sets) of the request in flight.
 * Built once per request, on the first line that needs it.
 */
function mixin(): Record<string, string> {
  const context = storage.getStore()
  if (spanFields !== undefined) {
    const fields = spanFields(context)
    if (fields !== undefined) return fields
  }
  if (context === undefined) return NO_FIELDS
  return context.logFields ?? context.buildLogFields()
}

export interface CreatedLogger {
  logger: Logger
  /** The stream lines are written to, for the access log's hand-built lines. */
  stream: DestinationStream
  /** Writes whatever is buffered; safe to call in an `exit` handler. */
  flush(): void
}

export function createLogger(options: LoggerOptions): CreatedLogger {
  const resolved = resolveDestination(options)
  const stream = options.exporter === undefined ? resolved : options.exporter(resolved)
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
    const sonic = stream as DestinationStream & { flushSync?: () => void }
    try {
      sonic.flushSync?.()
    } catch {
      // A destination that is not ready (or already closed) has nothing left to lose.
    }
  }
  // Lines still buffered when the process exits would be lost; flushSync is safe in an exit handler.
  if (options.destination === undefined && !options.pretty) process.once('exit', flush)
  return { logger, stream, flush }
}

function resolveDestination(options: LoggerOptions): DestinationStream {
  if (options.destination !== undefined) return options.destination as DestinationStream
  if (options.pretty) return prettyStream()
  // Asynchronous, batched writes: a write(2) per line (synchronous, or through libuv's threadpool)
  // costs more than the rest of the pipeline. Lines are written once 4 KB are buffered, and at most
  // 100 ms after they were logged when traffic is light; shutdown and process exit flush the rest.
  return destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS })
}

function prettyStream(): DestinationStream {
  // Loaded lazily so production never pays for it; pino-pretty is a dependency, so it is there.
  const require = createRequire(import.meta.url)
  const pretty = require('pino-pretty') as (options: object) => DestinationStream
  return pretty({ sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'service' })
}
