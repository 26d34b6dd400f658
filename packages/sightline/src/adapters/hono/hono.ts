/**
 * @module hono
 * The Hono adapter, for Hono on `@hono/node-server`. The node server `serve()` returns is
 * instrumented: requests enter Sightline's context, and the ops endpoints are answered, before
 * node-server builds its `Request`, so a request it refuses itself (a target it cannot make a URL
 * of) is still logged and counted, and the context covers the whole request.
 *
 * Given the app (`instrumentHonoServer(server, { sightline, app })`), Sightline needs no
 * middleware: the route is the app's router's match for the request, read when it ends, and the
 * errors Hono handles are seen at the app's error handler (internals/hono). A middleware would
 * cost each request Hono's composed, promise-returning dispatch, where a lone handler's response
 * is served as it is. The middleware form (`sightlineHono`) stays: it reads the route that
 * answered from Hono's context, and begins nothing, so a request is counted once either way.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { matchedRoutes } from 'hono/route'
import { getSightline } from '../../core/default.js'
import { RequestContext, storage } from '../../core/pipeline/context.js'
import { Pipeline, type RouteResolver } from '../../core/pipeline/pipeline.js'
import type { Sightline } from '../../core/sightline.js'
import { observeHonoErrors, observeHonoMatches } from '../../internals/hono.js'

export interface HonoSightlineOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
}

/** What `instrumentHonoServer` reads of the app (a structural type: a Hono app is one). */
export interface HonoAppLike {
  /** The app's router: `match(method, path)`'s handlers carry their routes. */
  router: { match(method: string, path: string): unknown }
  /** The path Hono routes by (strict or not, or the app's own `getPath`), from a request-like. */
  getPath: (request: never, options?: never) => string
}

export interface HonoServerOptions extends HonoSightlineOptions {
  /**
   * The Hono app the server serves: routes and handled errors are then read from it, and no
   * middleware is needed (recommended). Without it, mount `sightlineHono()` in the app.
   */
  app?: HonoAppLike
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
 * The route template of a result of Hono's router, as Hono's dispatch reads it: the last matched
 * route that is not middleware (`use()`'s routes are every method, their paths ending in `*`).
 * `undefined` when only middleware matched: Hono's not-found.
 */
export function honoMatchedRoute(result: unknown): string | undefined {
  const handlers = (result as [unknown[]] | undefined)?.[0]
  if (!Array.isArray(handlers)) return undefined
  for (let i = handlers.length - 1; i >= 0; i--) {
    const route = (handlers[i] as [[unknown, { method?: unknown; path?: unknown }?]])[0][1]
    if (route === undefined || typeof route.path !== 'string') continue
    if (route.method === METHOD_ALL && route.path.endsWith('*')) continue
    return route.path
  }
  return undefined
}

/**
 * The route template Hono's router matches for `req`, matched again as Hono's dispatch matches:
 * the path from the app's `getPath` (the raw path when a `getPath` of the app's own wants a whole
 * `Request`), HEAD routed as GET. For a request whose own match was not seen (see
 * `instrumentHonoServer`).
 */
export function honoAppRoute(app: HonoAppLike): RouteResolver {
  const getPath = app.getPath
  return (req) => {
    const url = req.url ?? '/'
    let path: string
    try {
      path = getPath(req as never)
    } catch {
      const query = url.indexOf('?')
      path = query === -1 ? url : url.slice(0, query)
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')
    return honoMatchedRoute(app.router.match(method, path))
  }
}

/**
 * Instruments the `node:http` server `serve()` returns and drains it at shutdown (HTTP/1.1; an
 * HTTP/2 server's compatibility objects are not Node's `ServerResponse`). Call it as `serve()`
 * returns, before a request arrives. With `app`, routes and handled errors come from the app.
 */
export function instrumentHonoServer<S extends object>(server: S, options: HonoServerOptions = {}): S {
  const sightline = options.sightline ?? getSightline()
  const app = options.app
  if (app === undefined) {
    sightline.instrument(server as unknown as Server)
    return server
  }
  observeHonoErrors(app, (error) => {
    const context = storage.getStore()
    if (context instanceof RequestContext && error instanceof Error) context.error = error
  })
  // The dispatch's own match, kept for the route read at the end: matching again there costs a
  // request the router's work twice. The first match of a request is its own (an app.fetch made
  // inside a handler, for another request, matches later).
  observeHonoMatches(app, (result) => {
    const context = storage.getStore()
    if (context instanceof RequestContext && context.routeReader === undefined) {
      context.routeSource = result
      context.routeReader = honoMatchedRoute
    }
  })
  sightline.instrument(server as unknown as Server, honoAppRoute(app))
  return server
}

/**
 * The middleware form, for apps that have middleware anyway (or whose sub-apps handle errors with
 * an `onError` of their own, which only the middleware sees); `instrumentHonoServer(server, { app })`
 * needs none.
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
