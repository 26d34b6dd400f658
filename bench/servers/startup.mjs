// @module bench/servers/startup
// Start-up time: an unmodified Fastify app that exits as soon as it listens (bench/startup.mjs runs it
// with and without --import sightline/register under hyperfine).
import Fastify from 'fastify'

const app = Fastify()
app.get('/users/:id', async (request) => ({ id: request.params.id }))
await app.listen({ port: 0, host: '127.0.0.1' })
process.exit(0)
