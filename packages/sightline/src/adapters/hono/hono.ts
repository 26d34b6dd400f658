/**
 * @module hono
 * The Hono adapter, for Hono on `@hono/node-server`. The node server `serve()` returns is
 * instrumented: requests enter Sightline's context, and the ops endpoints are answered, before
 * node-server builds its `Request`, so a request it refuses itself (a target it cannot make a URL
 * of) is still logged and counted, and the context covers the whole request. The middleware only
 * tells that context which route answered and the error Hono handled; it begins nothing, so a
 * request is counted once wherever the middleware is mounted.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { matchedRoutes } from 'hono/route'
import { getSightline } from '../../core/default.js'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import type { Sightline } from '../../core/sightline.js'

export interface HonoSightlineOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
}

/**
 * The parts of Hono's `Context` the adapter reads, declared here so that Sightline's published
 * types do not depend on Hono's (a structural type: Hono's own `Context` is one).
 */
export interface HonoContextLike {
  /**
   * The bindings: `@hono/node-server` passes `{ incoming, outgoing }`, the node request and
   * response (`unknown` here, as an app's `Env` may type them as anything).
   */
  env?: unknown
  req: { routeIndex: number }
  res: { status: number }
  /** The error a handler threw, once Hono's `onError` handled it. */
  error?: Error | undefined
}

type Next = () => Promise<void>

interface NodeBindings {
  incoming?: IncomingMessage
  outgoing?: ServerResponse
}

/** Hono's route for every method; `use()` registers middleware with it. */
const METHOD_ALL = 'ALL'
const STATUS_NOT_FOUND = 404

/**
 * The template of the route that answered (`c.req.routeIndex` is the last handler Hono ran), read
 * once the chain settled. A 404 from a middleware route (every method, a path ending in `*`, as
 * `use()` registers) is Hono falling through to its not-found handler: no route matched.
 */
export function honoRoute(c: HonoContextLike): string | undefined {
  const route = matchedRoutes(c as never)[c.req.routeIndex]
  if (route === undefined) return undefined
  if (c.res.status === STATUS_NOT_FOUND && route.method === METHOD_ALL && route.path.endsWith('*')) return undefined
  return route.path
}

/**
 * Instruments the `node:http` server `serve()` returns and drains it at shutdown (HTTP/1.1; an
 * HTTP/2 server's compatibility objects are not Node's `ServerResponse`). Call it as `serve()`
 * returns, before a request arrives.
 */
export function instrumentHonoServer<S extends object>(server: S, options: HonoSightlineOptions = {}): S {
  ;(options.sightline ?? getSightline()).instrument(server as unknown as Server)
  return server
}

/**
 * @example
 * const app = new Hono()
 * app.use(sightlineHono({ sightline }))
 * app.get('/api/patients/:id', handler)
 * instrumentHonoServer(serve({ fetch: app.fetch, port: 3000 }), { sightline })
 */
export function sightlineHono(options: HonoSightlineOptions = {}): (c: HonoContextLike, next: Next) => Promise<void> {
  const pipeline = (options.sightline ?? getSightline()).pipeline()
  return async function sightline(c, next) {
    const outgoing = (c.env as NodeBindings | undefined)?.outgoing
    const entered = outgoing === undefined ? undefined : Pipeline.contextOf(outgoing)
    if (entered !== undefined) {
      // Read at the end if the response ends before the chain settles (an aborted request).
      entered.routeSource = c
      entered.routeReader = honoRoute
    }
    try {
      await next()
    } finally {
      if (entered !== undefined) {
        entered.route = pipeline.route(honoRoute(c))
        if (c.error !== undefined) entered.error = c.error
      }
    }
  }
}
