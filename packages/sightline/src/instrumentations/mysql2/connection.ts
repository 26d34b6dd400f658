/**
 * @module instrumentations/mysql2/connection
 * Times every `query` and `execute` of one core mysql2 connection (a `createConnection()`, a
 * pooled connection, or the one behind a promise wrapper) through a QueryRecorder. Everything
 * reaches these two: the promise API calls the core connection's, and a pool's `query` and
 * `execute` run on a pooled connection's, so each query is counted once, however it was sent.
 */
import type { QueryRecorder } from '../pg/query.js'

/** The part of a core mysql2 connection Sightline wraps. Structural: no mysql2 type is published. */
export interface Mysql2CoreConnection {
  query(...args: never[]): unknown
  execute(...args: never[]): unknown
  readonly config?: { host?: string; port?: number; socketPath?: string }
}

type Method = (this: unknown, sql: unknown, values?: unknown, callback?: unknown) => unknown
type Callback = (error: unknown, ...results: unknown[]) => void
/** A mysql2 command (`Query`, `Execute`): an EventEmitter with the callback as `onResult`. */
interface Command {
  sql?: unknown
  onResult?: Callback | null
  emit(event: string | symbol, ...args: unknown[]): boolean
}

const kInstrumented = Symbol('sightline.mysql2')
type Marked = { [kInstrumented]?: true }

/** Wraps the connection's `query` and `execute` in place (this connection only); idempotent. */
export function instrumentConnection(connection: Mysql2CoreConnection, recorder: QueryRecorder): void {
  if ((connection as Mysql2CoreConnection & Marked)[kInstrumented]) return
  ;(connection as Mysql2CoreConnection & Marked)[kInstrumented] = true
  const target = connection as unknown as { query: Method; execute: Method }
  target.query = timed(target.query, recorder)
  target.execute = timed(target.execute, recorder)
}

function timed(original: Method, recorder: QueryRecorder): Method {
  return function timedQuery(this: unknown, sql, values, callback) {
    // The text as the caller wrote it, before mysql2 formats `values` into it.
    const end = recorder.start(textOf(sql))
    // A pool's `query` hands over the command it built, its callback already in `onResult`.
    if (isCommand(sql)) {
      if (typeof sql.onResult === 'function') sql.onResult = settleFirst(sql.onResult, end)
      else observeEvents(sql, end)
      return original.call(this, sql, values, callback)
    }
    if (typeof callback === 'function') callback = settleFirst(callback as Callback, end)
    else if (typeof values === 'function') values = settleFirst(values as Callback, end)
    else {
      const command = call(original, this, sql, values, callback, end)
      if (isCommand(command)) observeEvents(command, end)
      else end()
      return command
    }
    return call(original, this, sql, values, callback, end)
  }
}

/** Calls the original; one that throws (bind parameters mysql2 refuses) is recorded as failed. */
function call(
  original: Method,
  self: unknown,
  sql: unknown,
  values: unknown,
  callback: unknown,
  end: (error?: unknown) => void,
): unknown {
  try {
    return original.call(self, sql, values, callback)
  } catch (error) {
    end(error)
    throw error
  }
}

function textOf(sql: unknown): unknown {
  return typeof sql === 'string' ? sql : String((sql as { sql?: unknown } | null)?.sql ?? '')
}

function isCommand(value: unknown): value is Command {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Command).emit === 'function' &&
    'onResult' in (value as object)
  )
}

/** The query is recorded before the caller's callback runs, as pg's are. */
function settleFirst(callback: Callback, end: (error?: unknown) => void): Callback {
  return function settled(this: unknown, error: unknown, ...results: unknown[]) {
    end(error ?? undefined)
    return callback.call(this, error, ...results)
  }
}

/**
 * A command with no callback (`conn.query(sql).on('result', …)`, `.stream()`) reports through
 * events: its 'error', then always 'end'. Read through its own `emit` rather than by listening:
 * an 'error' listener added here would stop an unhandled query error from being thrown.
 */
function observeEvents(command: Command, end: (error?: unknown) => void): void {
  const emit = command.emit
  let failure: unknown
  command.emit = function observed(this: unknown, event: string | symbol, ...args: unknown[]) {
    if (event === 'error') failure ??= args[0]
    else if (event === 'end') {
      command.emit = emit
      end(failure)
    }
    return emit.call(this, event, ...args)
  }
}
