/**
 * @module register
 * The zero-code launcher (the brief's `opentelemetry-instrument`): `node --import sightline/register app.js`
 * gives an unmodified Fastify, Express or `node:http` app — ESM or CommonJS — request ids, access
 * logs, RED metrics by route template, tracing, and `/metrics`, `/healthz`, `/readyz` on an ops port.
 *
 * How: every server made by `http.createServer`/`https.createServer` is instrumented as it is
 * created (the module export is replaced and ESM named imports re-synced); Fastify instances are
 * seen through its `fastify.initialization` diagnostics channel, so route templates come from
 * Fastify's router; Express routes are read from `req.route` when the response ends. Clients
 * Sightline does not trace itself are traced by OpenTelemetry's instrumentations, named in
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` (tracing/instrumentations).
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { IncomingMessage, Server } from 'node:http'
import https from 'node:https'
import { syncBuiltinESMExports } from 'node:module'
import { expressRoute } from '../adapters/express/express.js'
import type { FastifyInstance } from '../adapters/fastify/fastify.js'
import { addRouteHooks, adoptLogger } from '../adapters/fastify/fastify.js'
import { compileRoutes } from '../adapters/http/route-matcher.js'
import { http } from '../core/builtins.js'
import { createSightline } from '../core/default.js'
import { readInteger } from '../core/option-readers.js'
import type { Sightline } from '../core/sightline.js'
import { setupTracing } from '../tracing/setup.js'

/** The ops port when SIGHTLINE_OPS_PORT is not set (OpenTelemetry's Prometheus exporter port). */
export const DEFAULT_OPS_PORT = 9464

const kRegistered = Symbol.for('sightline.register')

export async function register(env: NodeJS.ProcessEnv = process.env): Promise<Sightline> {
  const global = globalThis as { [kRegistered]?: Sightline }
  const existing = global[kRegistered]
  if (existing !== undefined) return existing
  // Created before createServer is replaced, so the ops server is not instrumented as app traffic.
  const sightline = createSightline({
    opsPort: readInteger('SIGHTLINE_OPS_PORT', undefined, env.SIGHTLINE_OPS_PORT, DEFAULT_OPS_PORT, { max: 65535 }),
    shutdown: { exit: true },
  })
  global[kRegistered] = sightline
  // The launcher is the process's tracer: OpenTelemetry's API, and any instrumentation using it, gets it.
  // The instrumentations OTEL_NODE_ENABLED_INSTRUMENTATIONS names are enabled here, with the ESM
  // loader hook, and awaited (index.ts awaits this): the app's first import is already patched.
  await setupTracing(sightline, { global: true })

  const templates = env.SIGHTLINE_ROUTES?.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
  const matchTemplate = templates === undefined || templates.length === 0 ? undefined : compileRoutes(templates)
  const resolveRoute = (req: IncomingMessage) => expressRoute(req) ?? matchTemplate?.(req)

  for (const module of [http, https] as const) {
    const original = module.createServer as (...args: unknown[]) => Server
    const patched = function createServer(this: unknown, ...args: unknown[]) {
      return sightline.instrument(original.apply(this, args), resolveRoute)
    }
    ;(module as { createServer: unknown }).createServer = patched
  }
  syncBuiltinESMExports()

  const pipeline = sightline.pipeline(resolveRoute)
  diagnosticsChannel.subscribe('fastify.initialization', (message) => {
    try {
      const { fastify } = message as { fastify: FastifyInstance }
      addRouteHooks(fastify, pipeline, adoptLogger(fastify, sightline))
    } catch (error) {
      sightline.report(error, 'register.fastify')
    }
  })
  return sightline
}
