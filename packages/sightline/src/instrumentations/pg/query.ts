/**
 * @module instrumentations/pg/query
 * Times one query function — a `pg` client's `query`, or any `(text, params) => Promise` such as
 * PGlite's — into `db_client_operation_duration_seconds`, a CLIENT span when the caller is sampled,
 * and a slow-query log line. Telemetry failures never reach the query.
 */
import { performance } from 'node:perf_hooks'
import { type Attributes, type Context, type Span, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import { sqlStateOf } from '../../core/logging/access-log.js'
import type { HistogramChild } from '../../core/metrics/histogram.js'
import { type RequestContext, storage } from '../../core/pipeline/context.js'
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../../core/semconv.js'
import type { Sightline } from '../../core/sightline.js'
import { activeContext, activeInstance } from '../../tracing/instance.js'
import { recordingActiveSpan, startClientSpan } from '../../tracing/recording.js'
import { plainConstructor } from '../../tracing/span-values.js'
import { parseStatement, type Statement } from './sql.js'
import { CLIENT_TIMEOUT, endedByTimer } from './timeouts.js'

export const METRIC_DB_DURATION = 'db_client_operation_duration_seconds'
export const DB_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]
const TRACER = 'sightline-pg'

/** A query span's first attributes, built without a literal (tracing/span-values says why). */
const QuerySpanAttributes = plainConstructor<new (system: string, operation: string, text: string) => Attributes>(
  function (this: Attributes, system: string, operation: string, text: string) {
    this[ATTR_DB_SYSTEM_NAME] = system
    this[ATTR_DB_OPERATION_NAME] = operation
    this[ATTR_DB_QUERY_TEXT] = text
  },
)

export interface QueryMeta {
  system: string
  /** `server.address` and `server.port`, never a connection string. */
  host?: string
  port?: number
  slowQueryMs: number
  /** The tracer spans are started on. Default `sightline-pg`. */
  tracer?: string
  /** Statement of a query text; default `parseStatement` (pg's parameterised SQL as written). */
  parse?: (text: string) => Statement
  /** How the driver's errors read; default Postgres' (SQLSTATE). */
  errors?: DriverErrors
}

/** A driver's reading of its errors: both bounded, neither ever the message. */
export interface DriverErrors {
  /** `error_type`: `elapsedMs` after the query began (for the driver's own timers). */
  typeOf(error: unknown, elapsedMs: number): string
  /** `db.response.status_code`, when the server gave one. */
  statusCodeOf(error: unknown): string | undefined
}

/** Records queries of one database; built once per pool or store. */
export class QueryRecorder {
  private readonly sightline: Sightline
  private readonly meta: QueryMeta
  private readonly duration

  constructor(sightline: Sightline, meta: QueryMeta) {
    this.sightline = sightline
    this.meta = meta
    this.duration = sightline.metrics.histogram({
      name: METRIC_DB_DURATION,
      help: 'Duration of database client operations, in seconds.',
      labelNames: ['db_system_name', 'db_operation_name', 'db_collection_name', 'error_type'],
      buckets: DB_DURATION_BUCKETS,
    })
  }

  /**
   * Starts timing `text`; call the result with the error (if any) when the query settles.
   * `readTimeoutMs`: the driver's own client-side limit on the query (pg's `query_timeout`), whose
   * error is then labelled `timeout` (instrumentations/pg/timeouts).
   */
  start(text: unknown, readTimeoutMs?: number): (error?: unknown) => void {
    let statement: Statement
    let span: Span | undefined
    const started = performance.now()
    // pg settles a query from its socket's async context, which is that of whoever opened the
    // connection (the pooled connection's first request, and its manual span if one was active),
    // not the caller's: keep the caller's request and manual span for the slow-query line.
    // Store reads, nothing allocated.
    const request = storage.getStore()
    const instance = activeInstance()
    const explicit = instance?.contextManager.explicit()
    try {
      statement = (this.meta.parse ?? parseStatement)(
        typeof text === 'string' ? text : String((text as { text?: unknown })?.text ?? ''),
      )
      const parent = recordingActiveSpan()
      if (parent !== undefined) {
        const attributes = new QuerySpanAttributes(this.meta.system, statement.operation, statement.text)
        if (statement.collection !== undefined) attributes[ATTR_DB_COLLECTION_NAME] = statement.collection
        if (this.meta.host !== undefined) attributes[ATTR_SERVER_ADDRESS] = this.meta.host
        if (this.meta.port !== undefined) attributes[ATTR_SERVER_PORT] = this.meta.port
        const name =
          statement.collection === undefined ? statement.operation : `${statement.operation} ${statement.collection}`
        span = startClientSpan(this.meta.tracer ?? TRACER, name, attributes, parent, activeContext(instance))
      }
    } catch (error) {
      this.sightline.report(error, 'pg.start')
      return () => {}
    }
    return (error?: unknown) => {
      try {
        const elapsedMs = performance.now() - started
        const seconds = elapsedMs / 1000
        const errors = this.meta.errors
        const errorType =
          error === undefined
            ? ''
            : errors !== undefined
              ? errors.typeOf(error, elapsedMs)
              : endedByTimer(error, elapsedMs, readTimeoutMs)
                ? CLIENT_TIMEOUT
                : errorTypeOf(error)
        let series = statement.series.get(errorType) as HistogramChild | undefined
        if (series === undefined) {
          series = this.duration.labels(this.meta.system, statement.operation, statement.collection ?? '', errorType)
          statement.series.set(errorType, series)
        }
        series.observe(seconds)
        if (span !== undefined) {
          if (error !== undefined) {
            const sqlState = errors !== undefined ? errors.statusCodeOf(error) : sqlStateOf(error)
            if (sqlState !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, sqlState)
            span.setAttribute(ATTR_ERROR_TYPE, errorType)
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorType })
          }
          span.end()
        }
        if (seconds * 1000 >= this.meta.slowQueryMs) {
          // The caller's ids, given as the line's own fields: they win over what the logger would
          // find in the socket's context (a key set to undefined is left out of the line).
          const fields = {
            ...callerLogFields(request, explicit),
            db_operation: statement.operation,
            db_collection: statement.collection,
            duration_ms: Math.round(seconds * 1000),
            query: statement.text,
            error_type: errorType || undefined,
          }
          this.sightline.logger.warn(fields, 'slow query')
        }
      } catch (failure) {
        this.sightline.report(failure, 'pg.end')
      }
    }
  }
}

/** No request and no span: every correlation field left out of the line. */
const NO_CALLER: Readonly<Record<string, string | undefined>> = Object.freeze({
  request_id: undefined,
  trace_id: undefined,
  span_id: undefined,
  trace_flags: undefined,
})

/**
 * The log fields of the query's caller: its manual span when one was active (as the logger gives
 * them), else its request's, else none. Every key present, so none is taken from elsewhere.
 */
function callerLogFields(
  request: RequestContext | undefined,
  explicit: Context | undefined,
): Readonly<Record<string, string | undefined>> {
  const span = explicit === undefined ? undefined : trace.getSpanContext(explicit)
  if (span !== undefined) {
    return {
      request_id: request?.requestId,
      trace_id: span.traceId,
      span_id: span.spanId,
      trace_flags: (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00',
    }
  }
  if (request === undefined) return NO_CALLER
  return { ...NO_CALLER, ...(request.logFields ?? request.buildLogFields()) }
}

/** SQLSTATE when Postgres gave one (a bounded set), else the error's class name. Never the message. */
export function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code
  if (typeof code === 'string' && /^[0-9A-Z_]{1,32}$/.test(code)) return code
  return error instanceof Error ? error.name : 'error'
}

/** Wraps a promise-returning query function; the wrapper resolves and rejects exactly as `fn` does. */
export function instrumentQuery<F extends (text: string, params?: readonly unknown[]) => Promise<unknown>>(
  fn: F,
  recorder: QueryRecorder,
): F {
  return function query(this: unknown, text: string, params?: readonly unknown[]) {
    return settle(fn.call(this, text, params), recorder.start(text))
  } as F
}

/** Calls `end` when `promise` settles (with the error, if any); resolves and rejects as it does. */
export function settle<T>(promise: Promise<T>, end: (error?: unknown) => void): Promise<T> {
  return promise.then(
    (result) => {
      end()
      return result
    },
    (error: unknown) => {
      end(error)
      throw error
    },
  )
}
