// @module bench/servers/fastify
// Fastify 5, one route returning small JSON, in the mode BENCH_MODE names:
// bare | fastify-logger | peer (logger + fastify-metrics; OpenTelemetry comes from --require) | sightline*
import Fastify from 'fastify'
import { sightlineFastify } from 'sightline/fastify'
import { mode, payload, port, sightlineFor } from './modes.mjs'

const peer = mode === 'peer'
const app = Fastify({ logger: mode === 'fastify-logger' || peer })
if (peer) {
  const { default: metrics } = await import('fastify-metrics')
  await app.register(metrics, { endpoint: '/metrics' })
}
const sightline = await sightlineFor(mode)
if (sightline !== undefined) await app.register(sightlineFastify, { sightline })
app.get('/users/:id', async (request) => payload(request.params.id))
await app.listen({ port, host: '127.0.0.1' })
