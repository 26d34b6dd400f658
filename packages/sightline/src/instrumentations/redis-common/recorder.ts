/**
 * @module instrumentations/redis-common/recorder
 * What every Redis client instrumentation does with one command, whatever the client (ioredis,
 * node-redis): time it into `db_client_operation_duration_seconds` (pg's histogram, with
 * `db_system_name` `redis`), and when the caller is sampled, a CLIENT span named by the command
 * with `db.query.text` made of the command and placeholders only. Each client's module finds
 * where its commands pass and calls `start`/`end`; everything here is built once per client.
 */
import { performance } from 'node:perf_hooks'
import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api'
import {
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
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
import { CommandSeries, CommandTable, commandName } from './commands.js'
import { type ErrorShape, ErrorTypes } from './errors.js'

export const SYSTEM = 'redis'
/** Commands of a batch written into its `db.query.text` before `…` says more followed. */
const MAX_BATCH_TEXT_COMMANDS = 16

/** Where the client connects: a unix socket's path is its address, with no port (semantic conventions). */
export interface RedisServer {
  address: string | undefined
  port: number | undefined
}

/** A command span's attributes, built without a literal (tracing/span-values says why). */
const CommandSpanAttributes = plainConstructor<
  new (
    operation: string,
    text: string,
    batchSize: number,
    address: string | undefined,
    port: number | undefined,
  ) => Attributes
>(function (
  this: Attributes,
  operation: string,
  text: string,
  batchSize: number,
  address: string | undefined,
  port: number | undefined,
) {
  this[ATTR_DB_SYSTEM_NAME] = SYSTEM
  this[ATTR_DB_OPERATION_NAME] = operation
  this[ATTR_DB_QUERY_TEXT] = text
  // Semantic conventions: set for a batch only.
  if (batchSize >= 0) this[ATTR_DB_OPERATION_BATCH_SIZE] = batchSize
  if (address !== undefined) this[ATTR_SERVER_ADDRESS] = address
  if (port !== undefined) this[ATTR_SERVER_PORT] = port
})

export class CommandRecorder {
  readonly table: CommandTable
  private readonly errors: ErrorTypes
  private readonly histogram

  constructor(
    private readonly sightline: Sightline,
    names: Iterable<string>,
    shape: ErrorShape,
    private readonly server: RedisServer,
    private readonly tracer: string,
  ) {
    // pg's histogram, asked for with pg's exact configuration: the registry hands back the same one.
    this.histogram = sightline.metrics.histogram({
      name: METRIC_DB_DURATION,
      help: 'Duration of database client operations, in seconds.',
      labelNames: ['db_system_name', 'db_operation_name', 'db_collection_name', 'error_type'],
      buckets: DB_DURATION_BUCKETS,
    })
    this.table = new CommandTable(names, this.histogram, SYSTEM)
    this.errors = new ErrorTypes(shape)
  }

  /** A series for what is not one command (`PIPELINE`); made once, by the caller, at construction. */
  series(operation: string): CommandSeries {
    return new CommandSeries(this.histogram, SYSTEM, operation)
  }

  /** The command's span when the caller is sampled, else undefined (and nothing built). */
  span(entry: CommandSeries, argCount: number): Span | undefined {
    const parent = recordingActiveSpan()
    if (parent === undefined) return undefined
    const { address, port } = this.server
    const attributes = new CommandSpanAttributes(entry.operation, entry.text(argCount), -1, address, port)
    return startClientSpan(this.tracer, entry.operation, attributes, parent, activeContext())
  }

  /**
   * A batch's span (MULTI, a pipeline): its text is the commands' own joined by `; `, its
   * `db.operation.batch.size` their number. The commands are read only when the caller is sampled.
   */
  batchSpan(entry: CommandSeries, commands: readonly { readonly args: readonly unknown[] }[]): Span | undefined {
    const parent = recordingActiveSpan()
    if (parent === undefined) return undefined
    let text = ''
    const shown = Math.min(commands.length, MAX_BATCH_TEXT_COMMANDS)
    for (let i = 0; i < shown; i++) {
      const args = commands[i]!.args
      text += (i === 0 ? '' : '; ') + this.table.lookup(commandName(args[0])).text(args.length - 1)
    }
    if (commands.length > shown) text += '; …'
    const { address, port } = this.server
    const attributes = new CommandSpanAttributes(entry.operation, text, commands.length, address, port)
    return startClientSpan(this.tracer, entry.operation, attributes, parent, activeContext())
  }

  /** Records the command's end; never throws (a failure here is reported, the command goes on). */
  end(started: number, entry: CommandSeries, span: Span | undefined, error: unknown, failed: boolean): void {
    try {
      const elapsedMs = performance.now() - started
      const errorType = failed ? this.errors.of(error, elapsedMs) : ''
      entry.series(errorType).observe(elapsedMs / 1000)
      if (span === undefined) return
      if (failed) {
        const status = this.errors.statusCode(error)
        if (status !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, status)
        span.setAttribute(ATTR_ERROR_TYPE, errorType)
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType })
      }
      span.end()
    } catch (failure) {
      this.sightline.report(failure, `${this.tracer}.end`)
    }
  }
}
