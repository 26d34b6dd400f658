// @module bench/servers/hono
// Hono on @hono/node-server, one route returning small JSON, in the mode BENCH_MODE names:
// bare | sightline* (the middleware, and the server serve() returns instrumented)
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { instrumentHonoServer, sightlineHono } from 'sightline/hono'
import { mode, payload, port, sightlineFor } from './modes.mjs'

const app = new Hono()
const sightline = await sightlineFor(mode)
if (sightline !== undefined) app.use(sightlineHono({ sightline }))
app.get('/users/:id', (c) => c.json(payload(c.req.param('id'))))
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
if (sightline !== undefined) instrumentHonoServer(server, { sightline })
