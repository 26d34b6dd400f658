/**
 * @module instrumentations/pg/timeouts
 * pg's and pg-pool's own timeouts, recognised by what their errors are rather than by their text:
 * a plain `Error` with no code ('Query read timeout', 'timeout exceeded when trying to connect',
 * 'Connection terminated due to connection timeout'), settling the call no sooner than the timeout
 * after it began. Nothing else can end a call that late: once the timer fires, pg answers the query
 * with its error and drops what comes after, and pg-pool answers the waiter and destroys a
 * connection still being opened. A server's error has a SQLSTATE, a socket's an errno.
 */

/** `error_type` of a query pg gave up on by its own timer (`query_timeout`). */
export const CLIENT_TIMEOUT = 'timeout'

/**
 * A timer's start is the loop's cached clock (`uv_now`, read once per loop turn), not the moment
 * it was set: set late in a long turn, it fires as much earlier on `performance.now()` as the turn
 * had already run. A loaded machine has turns of tens of milliseconds, so the timer may settle a
 * call that much "early"; half the timeout, at most 250 ms, is the slack allowed.
 */
const MAX_TIMER_SLACK_MS = 250

/** True when `error`, `elapsedMs` after the call began, is the driver's timer of `timeoutMs` firing. */
export function endedByTimer(error: unknown, elapsedMs: number, timeoutMs: number | undefined): boolean {
  return (
    timeoutMs !== undefined &&
    timeoutMs > 0 &&
    elapsedMs >= timeoutMs - Math.min(timeoutMs / 2, MAX_TIMER_SLACK_MS) &&
    error instanceof Error &&
    (error as { code?: unknown }).code === undefined
  )
}

/** pg's client-side limit on one query, as pg reads it: the query's own `query_timeout`, else its client's. */
export function readTimeoutOf(query: unknown, client: object): number | undefined {
  const own = (query as { query_timeout?: unknown } | null)?.query_timeout
  if (typeof own === 'number' && own > 0) return own
  const configured = (client as { connectionParameters?: { query_timeout?: unknown } }).connectionParameters
    ?.query_timeout
  return typeof configured === 'number' && configured > 0 ? configured : undefined
}
