/**
 * @module instrumentations/node-redis/instrument
 * `instrumentNodeRedis(client)`: every command of one node-redis client (the `redis` package, 5.x
 * or 6.x) timed into `db_client_operation_duration_seconds` (pg's histogram, `db_system_name`
 * `redis`), a CLIENT span per command when the caller is sampled, one per MULTI and one per
 * pipeline, and the connection's state (`redis_client_ready`). Arguments are never recorded: a
 * span carries the command's name, a `?` per argument and the server.
 *
 * Why the instance and not node-redis' `node-redis:command` tracing channel (6.x): the channel is
 * process-wide, so every client's commands would pay for the one instrumented; 5.x has none; and a
 * MULTI refused while offline is refused before the channel sees it. Every command but a batch's
 * goes through the instance's `sendCommand`; a batch through `_executeMulti`/`_executePipeline`
 * (internals/node-redis.ts).
 */
import { performance } from 'node:perf_hooks'
import type { Span } from '@opentelemetry/api'
import { getSightline } from '../../core/default.js'
import { readString } from '../../core/option-readers.js'
import type { Sightline } from '../../core/sightline.js'
import {
  hasBatchMethods,
  NODE_REDIS_MULTI,
  NODE_REDIS_PIPELINE,
  nodeRedisInstance,
} from '../../internals/node-redis.js'
import { type CommandSeries, commandName } from '../redis-common/commands.js'
import { connectionMetrics } from '../redis-common/connection.js'
import { type ErrorShape, isA } from '../redis-common/errors.js'
import { CommandRecorder } from '../redis-common/recorder.js'
import { commandNames } from './commands.js'

const TRACER = 'sightline-node-redis'
const DEFAULT_PORT = 6379

/**
 * The part of a node-redis client (`createClient()`) Sightline uses. Structural, so that the
 * published types name no node-redis type and a project without it type-checks.
 */
export interface NodeRedisClient {
  sendCommand(args: never, ...rest: never[]): Promise<unknown>
  readonly options?: { socket?: { host?: string; port?: number; path?: string } } | undefined
  /** True while commands can be sent. */
  readonly isReady: boolean
  on(event: 'reconnecting', listener: () => void): unknown
}

export interface NodeRedisInstrumentationOptions {
  sightline?: Sightline
  /** `client_name` of the client's connection series (`redis_client_ready`). Default `default`. */
  clientName?: string
}

/** node-redis' errors: a server's reply is an `ErrorReply`; its own timeouts are `TimeoutError`s. */
const NODE_REDIS_ERRORS: ErrorShape = {
  isReply: (error) => isA(error, 'ErrorReply'),
  // `TimeoutError`: never written in time; `TimeoutReadError`: written, no reply in time (6.x).
  isTimeout: (error) => isA(error, 'TimeoutError') || isA(error, 'TimeoutReadError'),
}

const kInstrumented = Symbol('sightline.node-redis')
type Marked = { [kInstrumented]?: true }
type Send = (this: unknown, args: unknown, options?: unknown) => Promise<unknown>
type Batch = (this: unknown, commands: readonly { args: readonly unknown[] }[], ...rest: unknown[]) => Promise<unknown>

/**
 * Changes that one client in place (its instance's `sendCommand` and batch methods) and returns it.
 * @example const client = instrumentNodeRedis(createClient({ url: process.env.REDIS_URL }), { sightline })
 */
export function instrumentNodeRedis<C extends NodeRedisClient>(
  client: C,
  options: NodeRedisInstrumentationOptions = {},
): C {
  const instance = nodeRedisInstance(client) as Record<string | symbol, unknown> & Marked
  if (instance[kInstrumented]) return client
  instance[kInstrumented] = true
  const sightline = options.sightline ?? getSightline()
  const clientName = readString('clientName', options.clientName, 'default')
  const socket = client.options?.socket
  // node-redis' own defaults; a unix socket's path is its address, with no port (semantic conventions).
  const server =
    socket?.path !== undefined
      ? { address: socket.path, port: undefined }
      : { address: socket?.host ?? 'localhost', port: socket?.port ?? DEFAULT_PORT }
  const recorder = new CommandRecorder(sightline, commandNames(client), NODE_REDIS_ERRORS, server, TRACER)
  const reconnecting = connectionMetrics(sightline.metrics, clientName, () => client.isReady)
  client.on('reconnecting', reconnecting)

  const original = instance.sendCommand as Send
  instance.sendCommand = function sendCommand(this: unknown, args: unknown, commandOptions?: unknown) {
    let started: number
    let entry: CommandSeries
    let span: Span | undefined
    try {
      started = performance.now()
      const list = Array.isArray(args) ? args : undefined
      entry = recorder.table.lookup(commandName(list?.[0]))
      span = recorder.span(entry, list === undefined ? 0 : list.length - 1)
    } catch (failure) {
      sightline.report(failure, 'node-redis.start')
      return original.call(this, args, commandOptions)
    }
    let pending: Promise<unknown>
    try {
      pending = original.call(this, args, commandOptions)
    } catch (error) {
      recorder.end(started, entry, span, error, true)
      throw error
    }
    return observe(recorder, pending, started, entry, span, false)
  } satisfies Send

  if (hasBatchMethods(instance)) {
    wrapBatch(instance, NODE_REDIS_MULTI, recorder.table.lookup('MULTI'), recorder, sightline)
    wrapBatch(instance, NODE_REDIS_PIPELINE, recorder.series('PIPELINE'), recorder, sightline)
  } else {
    sightline.report(
      new Error("node-redis' client has no _executeMulti/_executePipeline: MULTI and pipelines are not recorded"),
      'node-redis.batch',
    )
  }
  return client
}

/** One span and one observation for a whole MULTI or pipeline (the commands in it have none of their own). */
function wrapBatch(
  instance: Record<string, unknown>,
  method: string,
  entry: CommandSeries,
  recorder: CommandRecorder,
  sightline: Sightline,
): void {
  const original = instance[method] as Batch
  instance[method] = function batch(this: unknown, commands, ...rest) {
    let started: number
    let span: Span | undefined
    try {
      started = performance.now()
      span = recorder.batchSpan(entry, commands)
    } catch (failure) {
      sightline.report(failure, 'node-redis.start')
      return original.call(this, commands, ...rest)
    }
    let pending: Promise<unknown>
    try {
      pending = original.call(this, commands, ...rest)
    } catch (error) {
      recorder.end(started, entry, span, error, true)
      throw error
    }
    return observe(recorder, pending, started, entry, span, true)
  } satisfies Batch
}

/**
 * Ends the command when `pending` settles; the caller gets node-redis' own promise, this branch only
 * observes it (and never rejects). A MULTI's EXEC answers an array in which a failed command is an
 * error reply: the first one is the batch's error.
 */
function observe(
  recorder: CommandRecorder,
  pending: Promise<unknown>,
  started: number,
  entry: CommandSeries,
  span: Span | undefined,
  batch: boolean,
): Promise<unknown> {
  if (typeof (pending as Promise<unknown> | undefined)?.then !== 'function') {
    recorder.end(started, entry, span, undefined, false)
    return pending
  }
  pending.then(
    (reply) => {
      const failed = batch ? firstErrorReply(reply) : undefined
      recorder.end(started, entry, span, failed, failed !== undefined)
    },
    (error: unknown) => recorder.end(started, entry, span, error, true),
  )
  return pending
}

function firstErrorReply(reply: unknown): Error | undefined {
  if (!Array.isArray(reply)) return undefined
  for (const item of reply) if (item instanceof Error) return item
  return undefined
}
