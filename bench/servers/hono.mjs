// @module bench/servers/hono
// Hono on @hono/node-server, one route returning small JSON, in the mode BENCH_MODE names:
// bare | sightline* (the server serve() returns instrumented with the app: no middleware, as the
// docs recommend) | sightline-middleware (the middleware form, sightlineHono)
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { instrumentHonoServer, sightlineHono } from 'sightline/hono'
import { mode, payload, port, sightlineFor } from './modes.mjs'

const app = new Hono()
const middleware = mode === 'sightline-middleware'
const sightline = await sightlineFor(middleware ? 'sightline-trace' : mode)
if (middleware) app.use(sightlineHono({ sightline }))
app.get('/users/:id', (c) => c.json(payload(c.req.param('id'))))
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
if (sightline !== undefined) instrumentHonoServer(server, middleware ? { sightline } : { sightline, app })
