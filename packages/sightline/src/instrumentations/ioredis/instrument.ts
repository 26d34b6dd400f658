/**
 * @module instrumentations/ioredis/instrument
 * `instrumentIoredis(redis)`: every command of one ioredis client timed into
 * `db_client_operation_duration_seconds` (the histogram pg's queries use, with `db_system_name`
 * `redis`), a CLIENT span named by the command when the caller is sampled, and the connection's
 * state (`redis_client_ready`). Arguments are never recorded: the span carries the command's name,
 * a `?` per argument and the server, not its keys or values (redis-common has what node-redis shares).
 *
 * Why `sendCommand` on the instance and not ioredis' `ioredis:command` tracing channel (v6): the
 * channel is process-wide and its events do not say which client sent the command, so two
 * clients (or one instrumented, one not) could not be told apart; it skips commands refused
 * before they are written (no connection and no offline queue: the outage, which most needs
 * counting); and ioredis 5 has none. Every command of a client, pipelined or not, goes through
 * the client's `sendCommand`.
 */
import { performance } from 'node:perf_hooks'
import type { Span } from '@opentelemetry/api'
import { getSightline } from '../../core/default.js'
import { readString } from '../../core/option-readers.js'
import type { Sightline } from '../../core/sightline.js'
import { endedByTimer } from '../pg/timeouts.js'
import type { CommandSeries } from '../redis-common/commands.js'
import { connectionMetrics } from '../redis-common/connection.js'
import type { ErrorShape } from '../redis-common/errors.js'
import { CommandRecorder } from '../redis-common/recorder.js'

const TRACER = 'sightline-ioredis'

/** What Sightline reads of an ioredis `Command`: its name and how many arguments (never their values). */
export interface IoredisCommand {
  readonly name: string
  readonly args: readonly unknown[]
}

/**
 * The part of an ioredis client (`Redis`, v5 or later) Sightline uses. Structural, so that the
 * published types name no ioredis type and a project without ioredis type-checks.
 */
export interface IoredisClient {
  sendCommand(command: IoredisCommand, ...rest: never[]): unknown
  getBuiltinCommands(): string[]
  readonly options: { host?: string; port?: number; path?: string; commandTimeout?: number }
  /** `ready` while commands can be sent; `connecting`, `reconnecting`, `end`… otherwise. */
  readonly status: string
  on(event: 'reconnecting', listener: () => void): unknown
}

export interface IoredisInstrumentationOptions {
  sightline?: Sightline
  /** `client_name` of the client's connection series (`redis_client_ready`). Default `default`. */
  clientName?: string
}

/** ioredis' errors: a server's reply is a `ReplyError`; its `commandTimeout` is a code-less late Error. */
function ioredisErrors(commandTimeoutMs: number | undefined): ErrorShape {
  return {
    isReply: (error) => error.name === 'ReplyError',
    // ioredis' "Command timed out" is a plain Error with a message only; matching messages would
    // break with its wording. Nothing else fails a code-less command that late: its timer did.
    isTimeout: (error, elapsedMs) => endedByTimer(error, elapsedMs, commandTimeoutMs),
  }
}

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
  const clientName = readString('clientName', options.clientName, 'default')
  // A unix socket's path is its address (semantic conventions), with no port.
  const server = {
    address: redis.options.path || redis.options.host,
    port: redis.options.path ? undefined : redis.options.port,
  }
  const recorder = new CommandRecorder(
    sightline,
    redis.getBuiltinCommands(),
    ioredisErrors(redis.options.commandTimeout),
    server,
    TRACER,
  )
  const reconnecting = connectionMetrics(sightline.metrics, clientName, () => redis.status === 'ready')
  redis.on('reconnecting', reconnecting)
  const end = recorder.end.bind(recorder)

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
      entry = recorder.table.lookup(command.name)
      span = recorder.span(entry, command.args?.length ?? 0)
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
