/**
 * @module notifier/main
 * The notifier service on NOTIFIER_PORT (default 8001); with AMQP_URL, consuming RabbitMQ's
 * notification queue too (AMQP_QUEUE, default `appointment-notifications`).
 */
import { createServer } from 'node:http'
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { buildNotifier } from './app.js'
import { consumeNotifications } from './queue.js'

const sightline = createSightline({ service: 'notifier', shutdown: { exit: true } })

// Under `npm start` (scripts/start.mjs) the launcher holds an IPC channel to this process, which
// closes when the launcher goes, even killed outright: then drain and exit too, never an orphan.
if (process.channel !== undefined) {
  process.channel.unref()
  process.once('disconnect', () => void sightline.shutdown('launcher exited'))
}
await setupTracing(sightline)
// With AMQP_URL, notifications also arrive through RabbitMQ (doctor-api publishes there then).
if (process.env.AMQP_URL) {
  const consumer = await consumeNotifications(sightline, process.env.AMQP_URL, process.env.AMQP_QUEUE || undefined)
  sightline.onShutdown('broker', () => consumer.close())
}
const server = createServer(buildNotifier(sightline))
sightline.manage(server)
const port = Number(process.env.NOTIFIER_PORT ?? 8001)
server.listen(port, process.env.HOST ?? '0.0.0.0', () => {
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  sightline.logger.info({ port: bound }, `notifier listening on http://localhost:${bound}`)
})
