/**
 * @module fastify
 * The Fastify adapter. Requests enter Sightline's context where Fastify's own listener is called,
 * the route template is attached by a hook built once per route at registration, and errors
 * Fastify handles are kept for the access line. Register it before the routes.
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginCallback,
  onRequestHookHandler,
  RouteOptions,
} from 'fastify'
import { getSightline } from '../../core/default.js'
import { drainableServer } from '../../core/lifecycle/shutdown.js'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import type { Sightline } from '../../core/sightline.js'

export interface FastifySightlineOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
}

declare module 'fastify' {
  interface FastifyInstance {
    sightline: Sightline
  }
}

const plugin: FastifyPluginCallback<FastifySightlineOptions> = (fastify, options, done) => {
  const sightline = options.sightline ?? getSightline()
  attachFastify(fastify, sightline, () => fastify.close())
  fastify.decorate('sightline', sightline)
  done()
}

/**
 * What the plugin does, for a Fastify instance Sightline did not register itself into (NestJS's
 * Fastify platform): instruments its server, drains it at shutdown through `close` (Fastify's
 * close() drains in-flight requests and runs the app's onClose hooks; shutdown calls it after the
 * idle grace, core/lifecycle/shutdown.ts, as it closes idle sockets), adds the route hooks.
 * Synchronous, so it can run before the routes are added.
 */
export function attachFastify(fastify: FastifyInstance, sightline: Sightline, close: () => Promise<unknown>): void {
  const pipeline = sightline.pipeline()
  sightline.instrument(fastify.server)
  sightline.manage({ ...drainableServer(fastify.server), close: async () => void (await close()) })
  const logger = adoptLogger(fastify, sightline)
  addRouteHooks(fastify, pipeline, logger)
}

/**
 * An app that gave Fastify no logger (`logger: false`, as the docs show) has a `request.log` that
 * writes nothing (Fastify's null logger, whose `child` is itself: a real logger's is a new one,
 * made once here): handlers written for Fastify's logger would lose their lines. Sightline's logger
 * takes its place as `fastify.log` and (through the route hooks) `request.log`; it adds the
 * request's fields itself (its mixin), so every request shares it and none builds a child. An
 * app's own logger is left alone: returns undefined then.
 */
export function adoptLogger(fastify: FastifyInstance, sightline: Sightline): FastifyBaseLogger | undefined {
  if (fastify.log.child({}) !== fastify.log) return undefined
  const logger = sightline.logger as unknown as FastifyBaseLogger
  fastify.log = logger
  return logger
}

/**
 * Attaches each route's template to the request context (a hook built once per route at
 * registration) and keeps errors Fastify handles for the access line and span.
 */
export function addRouteHooks(fastify: FastifyInstance, pipeline: Pipeline, logger?: FastifyBaseLogger): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const state = pipeline.route(route.url)
    // One closure per route, built here, so the request path does no lookup; the variant that
    // also hands the request Sightline's logger (see the plugin) is chosen here, not per request.
    const attach: onRequestHookHandler =
      logger === undefined
        ? (_request, reply, next) => {
            const context = Pipeline.contextOf(reply.raw)
            if (context !== undefined) context.route = state
            next()
          }
        : (request, reply, next) => {
            // `request.log` only: Fastify writes its own lines through `reply.log` — a handled
            // error with its raw message (a database's quotes the value it refused), a duplicate
            // of the access line — and those stay with Fastify's null logger.
            request.log = logger
            const context = Pipeline.contextOf(reply.raw)
            if (context !== undefined) context.route = state
            next()
          }
    const existing = route.onRequest
    route.onRequest = existing === undefined ? [attach] : [attach, ...(Array.isArray(existing) ? existing : [existing])]
  })
  fastify.addHook('onError', (_request, reply, error, next) => {
    const context = Pipeline.contextOf(reply.raw)
    if (context !== undefined) context.error = error
    next()
  })
}
// Same effect as fastify-plugin: hooks apply to the whole application, not an encapsulated child.
;(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true
;(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'sightline'

/**
 * @example
 * const app = Fastify()
 * await app.register(sightlineFastify, { sightline })
 * app.get('/api/patients/:id', handler)
 */
export const sightlineFastify = plugin

export type { FastifyInstance }
