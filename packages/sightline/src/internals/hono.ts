/**
 * @module internals/hono
 * The one place Sightline reads a field of Hono's that its types call private: the app's error
 * handler (`errorHandler`, which `app.onError()` sets and the dispatch calls with each error a
 * handler threw). Observing it tells Sightline the error Hono turned into a response without a
 * middleware in the chain: one middleware makes Hono compose every request's handlers into
 * promises, where a lone handler's response is returned as it is (docs/performance.md).
 * internals/canary.test.ts fails, naming the field, when an upgrade changes it.
 */

/**
 * Calls `seen` with every error the app's error handler is given, then the handler, whichever
 * handler `app.onError()` sets before or after. False (nothing changed) when the app keeps no
 * error handler where Hono 4 does.
 */
export function observeHonoErrors(app: object, seen: (error: unknown) => void): boolean {
  const fields = app as { errorHandler?: unknown }
  let handler = fields.errorHandler
  if (typeof handler !== 'function') return false
  const observing = function (this: unknown, error: unknown, c: unknown): unknown {
    try {
      seen(error)
    } catch {
      // Telemetry must not change the app's answer.
    }
    return (handler as (error: unknown, c: unknown) => unknown).call(this, error, c)
  }
  Object.defineProperty(app, 'errorHandler', {
    configurable: true,
    enumerable: true,
    get: () => observing,
    set: (next: unknown) => {
      handler = next
    },
  })
  return true
}
