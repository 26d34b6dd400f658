/**
 * @module doctor-api/app
 * Builds the doctor-api Fastify application around a Sightline instance, a database and a cache.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import type { NotificationQueue } from './appointments/notification-queue.js'
import type { DemoFaults, Timeouts } from './config.js'
import type { Deps } from './deps.js'
import { badUrlHandler, installErrorHandling } from './errors.js'
import { appointmentRoutes } from './routes/appointments.js'
import { patientRoutes } from './routes/patients.js'
import { paymentRoutes } from './routes/payments.js'
import { signupRoutes } from './routes/signup.js'
import type { Cache } from './storage/cache.js'
import type { Database } from './storage/database.js'
import { Repository } from './storage/repository.js'
import { createMetrics } from './telemetry.js'

export interface AppOptions {
  sightline: Sightline
  db: Database
  cache: Cache
  demo?: DemoFaults
  notifierUrl?: string
  /** Notifications through RabbitMQ instead of the HTTP call (main.ts opens it when AMQP_URL is set). */
  notifications?: NotificationQueue
  /** Request and header timeouts; the configuration's defaults (config.ts) when not given. */
  timeouts?: Timeouts
  /** Register Sightline's Fastify plugin (default); false only to measure what it costs (bench/). */
  instrument?: boolean
}

const DEFAULT_TIMEOUTS: Timeouts = { requestMs: 30000, headersMs: 10000 }

/** Largest request body accepted; larger ones get a 413. */
export const BODY_LIMIT = 64 * 1024

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { sightline, db, cache } = options
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS
  const app = Fastify({
    logger: false,
    requestTimeout: timeouts.requestMs,
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: badUrlHandler,
  })
  app.server.headersTimeout = timeouts.headersMs
  // Node checks the timeouts every 30 s by default (its createServer option, kept on the server and
  // read when it starts listening; Fastify does not pass it on): a quarter of the header timeout
  // keeps a slow client's hold within 1.25 times the limit.
  ;(app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(
    30000,
    Math.ceil(timeouts.headersMs / 4),
  )
  // Every body is JSON: without this, Fastify parses text/plain and the client gets a 400, not a 415.
  app.removeContentTypeParser('text/plain')
  if (options.instrument !== false) await app.register(sightlineFastify, { sightline })
  const deps: Deps = {
    sightline,
    logger: sightline.logger,
    repository: new Repository(db, cache, sightline.logger),
    metrics: createMetrics(sightline),
    demo: options.demo ?? { errorRate: 0, latencyMs: 0 },
    notifierUrl: options.notifierUrl,
    notifications: options.notifications,
  }
  sightline.addCheck('database', () => db.query('SELECT 1'), { timeoutMs: 1000 })
  sightline.addCheck('cache', () => cache.ping(), { timeoutMs: 500, critical: false })
  installErrorHandling(app)
  patientRoutes(app, deps)
  appointmentRoutes(app, deps)
  signupRoutes(app, deps)
  paymentRoutes(app, deps)
  return app
}
