/**
 * @module instrumentations/ioredis/instrument
 * `instrumentIoredis(redis)`: every command of one ioredis client timed into
 * `db_client_operation_duration_seconds` (the histogram pg's queries use, with `db_system_name`
 * `redis`), and a CLIENT span named by the command when the caller is sampled. Arguments are never
 * recorded: the span carries the command's name and the server, not its keys or values.
 *
 * Why `sendCommand` on the instance and not ioredis' `ioredis:command` tracing channel (v6): the
 * channel is process-wide and its events do not say which client sent the command, so two
 * clients (or one instrumented, one not) could not be told apart; it skips commands refused
 * before they are written (no connection and no offline queue: the outage, which most needs
 * counting); and ioredis 5 has none. Every command of a client, pipelined or not, goes through
 * the client's `sendCommand`.
 */
import { performance } from 'node:perf_hooks'
import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api'
import { getSightline } from '../../core/default.js'
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../../core/semconv.js'
import type { Sightline } from '../../core/sightline.js'
import { activeContext } from '../../tracing/instance.js'
import { recordingActiveSpan, startClientSpan } from '../../tracing/recording.js'
import { plainConstructor } from '../../tracing/span-values.js'
import { DB_DURATION_BUCKETS, METRIC_DB_DURATION } from '../pg/query.js'
import { type CommandSeries, CommandTable } from './commands.js'
import { ErrorTypes, replyPrefixOf } from './errors.js'

const SYSTEM = 'redis'
const TRACER = 'sightline-ioredis'

/** What Sightline reads of an ioredis `Command`. */
export interface IoredisCommand {
  readonly name: string
}

/**
 * The part of an ioredis client (`Redis`, v5 or later) Sightline uses. Structural, so that the
 * published types name no ioredis type and a project without ioredis type-checks.
 */
export interface IoredisClient {
  sendCommand(command: IoredisCommand, ...rest: never[]): unknown
  getBuiltinCommands(): string[]
  readonly options: { host?: string; port?: number; path?: string; commandTimeout?: number }
}

export interface IoredisInstrumentationOptions {
  sightline?: Sightline
}

/** A command span's attributes, built without a literal (tracing/span-values says why). */
const CommandSpanAttributes = plainConstructor<
  new (
    operation: string,
    address: string | undefined,
    port: number | undefined,
  ) => Attributes
>(function (this: Attributes, operation: string, address: string | undefined, port: number | undefined) {
  this[ATTR_DB_SYSTEM_NAME] = SYSTEM
  this[ATTR_DB_OPERATION_NAME] = operation
  if (address !== undefined) this[ATTR_SERVER_ADDRESS] = address
  if (port !== undefined) this[ATTR_SERVER_PORT] = port
})

const kInstrumented = Symbol('sightline.ioredis')
/** Set on a `Command` when first sent: ioredis sends it again from its offline queue or after a reconnect. */
const kSent = Symbol('sightline.ioredis.sent')
type Marked = { [kInstrumented]?: true }
type SentCommand = IoredisCommand & { [kSent]?: true }
type Send = (this: unknown, command: IoredisCommand, stream?: unknown, node?: unknown) => unknown

/**
 * Wraps the client's `sendCommand` in place (this client only) and returns it.
 * @example const redis = instrumentIoredis(new Redis(process.env.REDIS_URL), { sightline })
 */
export function instrumentIoredis<R extends IoredisClient>(redis: R, options: IoredisInstrumentationOptions = {}): R {
  if ((redis as R & Marked)[kInstrumented]) return redis
  ;(redis as R & Marked)[kInstrumented] = true
  const sightline = options.sightline ?? getSightline()
  // pg's histogram, asked for with pg's exact configuration: the registry hands back the same one.
  const histogram = sightline.metrics.histogram({
    name: METRIC_DB_DURATION,
    help: 'Duration of database client operations, in seconds.',
    labelNames: ['db_system_name', 'db_operation_name', 'db_collection_name', 'error_type'],
    buckets: DB_DURATION_BUCKETS,
  })
  const table = new CommandTable(redis.getBuiltinCommands(), histogram, SYSTEM)
  const errors = new ErrorTypes(redis.options.commandTimeout)
  // A unix socket's path is its address (semantic conventions), with no port.
  const address = redis.options.path || redis.options.host
  const port = redis.options.path ? undefined : redis.options.port

  const end = (started: number, entry: CommandSeries, span: Span | undefined, error: unknown, failed: boolean) => {
    try {
      const elapsedMs = performance.now() - started
      const errorType = failed ? errors.of(error, elapsedMs) : ''
      entry.series(errorType).observe(elapsedMs / 1000)
      if (span === undefined) return
      if (failed) {
        const prefix = replyPrefixOf(error)
        if (prefix !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, prefix)
        span.setAttribute(ATTR_ERROR_TYPE, errorType)
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType })
      }
      span.end()
    } catch (failure) {
      sightline.report(failure, 'ioredis.end')
    }
  }

  const original = redis.sendCommand as unknown as Send
  const sendCommand: Send = function sendCommand(this: unknown, command, stream, node) {
    const sent = command as SentCommand
    if (sent[kSent] === true) return original.call(this, command, stream, node)
    let started: number
    let entry: CommandSeries
    let span: Span | undefined
    try {
      sent[kSent] = true
      started = performance.now()
      entry = table.lookup(command.name)
      const parent = recordingActiveSpan()
      if (parent !== undefined) {
        const attributes = new CommandSpanAttributes(entry.operation, address, port)
        span = startClientSpan(TRACER, entry.operation, attributes, parent, activeContext())
      }
    } catch (failure) {
      sightline.report(failure, 'ioredis.start')
      return original.call(this, command, stream, node)
    }
    let pending: unknown
    try {
      pending = original.call(this, command, stream, node)
    } catch (error) {
      end(started, entry, span, error, true)
      throw error
    }
    // The caller gets ioredis' own promise; this branch only observes it (and never rejects).
    if (typeof (pending as Promise<unknown> | undefined)?.then === 'function') {
      ;(pending as Promise<unknown>).then(
        () => end(started, entry, span, undefined, false),
        (error: unknown) => end(started, entry, span, error, true),
      )
    } else {
      end(started, entry, span, undefined, false)
    }
    return pending
  }
  ;(redis as unknown as { sendCommand: Send }).sendCommand = sendCommand
  return redis
}
