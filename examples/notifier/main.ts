/**
 * @module notifier/main
 * The notifier service on NOTIFIER_PORT (default 8001).
 */
import { createServer } from 'node:http'
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { buildNotifier } from './app.js'

const sightline = createSightline({ service: 'notifier', shutdown: { exit: true } })

// Under `npm start` (scripts/start.mjs) the launcher holds an IPC channel to this process, which
// closes when the launcher goes, even killed outright: then drain and exit too, never an orphan.
if (process.channel !== undefined) {
  process.channel.unref()
  process.once('disconnect', () => void sightline.shutdown('launcher exited'))
}
await setupTracing(sightline)
const server = createServer(buildNotifier(sightline))
sightline.manage(server)
const port = Number(process.env.NOTIFIER_PORT ?? 8001)
server.listen(port, process.env.HOST ?? '0.0.0.0', () => {
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  sightline.logger.info({ port: bound }, `notifier listening on http://localhost:${bound}`)
})
