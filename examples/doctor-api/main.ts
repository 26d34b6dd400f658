/**
 * @module doctor-api/main
 * `npm start`: doctor-api on PORT (default 8000) with embedded PGlite and an in-memory cache.
 */
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { buildApp } from './app.js'
import { openNotificationQueue } from './appointments/notification-queue.js'
import { loadConfig, redactUrl } from './config.js'
import { migrate } from './storage/migrations.js'
import { openStorage } from './storage/open.js'

const sightline = createSightline({ service: 'doctor-api', shutdown: { exit: true } })

// Under `npm start` (scripts/start.mjs) the launcher holds an IPC channel to this process, which
// closes when the launcher goes, even killed outright: then drain and exit too, never an orphan.
if (process.channel !== undefined) {
  process.channel.unref()
  process.once('disconnect', () => void sightline.shutdown('launcher exited'))
}

/** A start-up step that failed: which one, and the error it failed with. */
class StartupFailure {
  constructor(
    readonly step: string,
    readonly error: unknown,
  ) {}
}

async function step<T>(name: string, run: () => Promise<T> | T): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new StartupFailure(name, error)
  }
}

async function start(): Promise<void> {
  const config = await step('configuration', () => loadConfig())
  await step('tracing', () => setupTracing(sightline))
  const database = config.databaseUrl === undefined ? 'embedded PGlite' : `Postgres at ${redactUrl(config.databaseUrl)}`
  const { db, cache } = await step(`opening ${database}`, () =>
    openStorage(sightline, { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, pgliteDir: config.pgliteDir }),
  )
  sightline.onShutdown('database', () => db.close())
  sightline.onShutdown('cache', () => cache.close())
  const applied = await step(`migrating ${database}`, () => migrate(db))
  const { amqpUrl } = config
  const notifications =
    amqpUrl === undefined
      ? undefined
      : await step(`connecting to RabbitMQ at ${redactUrl(amqpUrl)}`, () =>
          openNotificationQueue(sightline, amqpUrl, config.amqpQueue),
        )
  if (notifications !== undefined) sightline.onShutdown('broker', () => notifications.close())
  const app = await step('building the app', () =>
    buildApp({
      sightline,
      db,
      cache,
      demo: config.demo,
      notifierUrl: config.notifierUrl,
      notifications,
      timeouts: config.timeouts,
    }),
  )
  await step(`listening on ${config.host}:${config.port}`, () => app.listen({ port: config.port, host: config.host }))
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  sightline.logger.info(
    {
      port,
      database: db.description,
      cache: cache.system,
      notifications: notifications === undefined ? 'http' : `amqp queue ${config.amqpQueue}`,
      migrations_applied: applied,
      demo: config.demo,
    },
    `doctor-api listening on http://localhost:${port}`,
  )
}

try {
  await start()
} catch (error) {
  // One JSON line saying what failed, instead of Node's crash dump. Nothing is serving yet, so no
  // drain: the logs are flushed and the process exits (a Redis client would otherwise keep
  // reconnecting, and the process alive).
  const failure = error instanceof StartupFailure ? error : new StartupFailure('starting', error)
  const cause = failure.error
  const message = cause instanceof Error ? cause.message : String(cause)
  sightline.logger.fatal({ err: cause, step: failure.step }, `doctor-api could not start: ${failure.step}: ${message}`)
  await sightline.close()
  process.exit(1)
}
