/**
 * @module doctor-api/main
 * `npm start`: doctor-api on PORT (default 8000) with embedded PGlite and an in-memory cache.
 */
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { migrate } from './storage/migrations.js'
import { openStorage } from './storage/open.js'

const config = loadConfig()
const sightline = createSightline({ service: 'doctor-api', shutdown: { exit: true } })
await setupTracing(sightline)
const { db, cache } = await openStorage(sightline, {
  databaseUrl: config.databaseUrl,
  redisUrl: config.redisUrl,
  pgliteDir: config.pgliteDir,
})
const applied = await migrate(db)
sightline.onShutdown('database', () => db.close())
sightline.onShutdown('cache', () => cache.close())
const app = await buildApp({ sightline, db, cache, demo: config.demo, notifierUrl: config.notifierUrl })
await app.listen({ port: config.port, host: config.host })
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : config.port
sightline.logger.info(
  { port, database: db.description, cache: cache.system, migrations_applied: applied, demo: config.demo },
  `doctor-api listening on http://localhost:${port}`,
)
