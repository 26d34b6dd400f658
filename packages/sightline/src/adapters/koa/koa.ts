/**
 * @module koa
 * The Koa adapter. The server is instrumented (`sightline.instrument(app.listen(…))`): requests
 * enter Sightline's context, and the ops endpoints are answered, where Node hands them to Koa. The
 * middleware only tells that context the route `@koa/router` matched and the error the chain threw
 * (Koa's `ctx.onerror` answers it afterwards); it begins nothing, so it can sit below the app's own
 * error-handling middleware, where it still sees the errors that middleware turns into replies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { getSightline } from '../../core/default.js'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import type { Sightline } from '../../core/sightline.js'

export interface KoaSightlineOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
}

/**
 * The parts of Koa's context the adapter reads, declared here so that Sightline's published types
 * do not depend on Koa's (a structural type: Koa's own context is one).
 */
export interface KoaContextLike {
  req: IncomingMessage
  res: ServerResponse
  /** Set by `@koa/router` to the matched layer's path, its routers' prefixes included. */
  _matchedRoute?: unknown
}

type Next = () => Promise<unknown>

/** The template `@koa/router` matched, if any (a RegExp route has no template to label with). */
export function koaRoute(ctx: KoaContextLike): string | undefined {
  const route = ctx._matchedRoute
  return typeof route === 'string' ? route : undefined
}

/**
 * @example
 * const app = new Koa()
 * app.use(sightlineKoa({ sightline }))
 * app.use(router.routes())
 * sightline.instrument(app.listen(3000))
 */
export function sightlineKoa(options: KoaSightlineOptions = {}): (ctx: KoaContextLike, next: Next) => Promise<void> {
  const pipeline = (options.sightline ?? getSightline()).pipeline()
  return async function sightline(ctx, next) {
    const entered = Pipeline.contextOf(ctx.res)
    if (entered !== undefined) {
      // Read at the end if the response ends before the chain settles (an aborted request).
      entered.routeSource = ctx
      entered.routeReader = koaRoute
    }
    try {
      await next()
    } catch (error) {
      const context = Pipeline.contextOf(ctx.res)
      if (context !== undefined) context.error = error
      throw error
    } finally {
      const context = Pipeline.contextOf(ctx.res)
      if (context !== undefined) context.route = pipeline.route(koaRoute(ctx))
    }
  }
}
