/**
 * @module internals/hono
 * The one place Sightline reaches into Hono's app beyond its documented API: the app's error
 * handler (`errorHandler`, a field its types call private, which `app.onError()` sets and the
 * dispatch calls with each error a handler threw), and the router's `match`, which the dispatch
 * calls once a request and which Hono's routers replace on their first call. Observing them tells
 * Sightline the error Hono turned into a response and the route it matched without a middleware in
 * the chain: one middleware makes Hono compose every request's handlers into promises, where a lone
 * handler's response is returned as it is (docs/performance.md). internals/canary.test.ts fails,
 * naming the field, when an upgrade changes either.
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

type Match = (this: unknown, method: string, path: string) => unknown

/**
 * Calls `seen` with every result the app's router matches, then returns it, whichever `match` the
 * router sets for itself: SmartRouter and RegExpRouter assign their own on the first call. Hono's
 * dispatch matches once a request, synchronously, before any handler runs (HEAD as GET). False
 * (nothing changed) when the app has no router with a `match` method. Written out rather than
 * sharing an accessor helper with `observeHonoErrors`: this one runs every request, and the shared
 * form counted more instructions a request (docs/performance.md).
 */
export function observeHonoMatches(app: object, seen: (result: unknown) => void): boolean {
  const router = (app as { router?: unknown }).router
  if (typeof router !== 'object' || router === null) return false
  let match = (router as { match?: unknown }).match
  if (typeof match !== 'function') return false
  const observing = function (this: unknown, method: string, path: string): unknown {
    const result = (match as Match).call(this, method, path)
    try {
      seen(result)
    } catch {
      // Telemetry must not change the app's answer.
    }
    return result
  }
  Object.defineProperty(router, 'match', {
    configurable: true,
    enumerable: true,
    get: () => observing,
    set: (next: unknown) => {
      match = next
    },
  })
  return true
}
