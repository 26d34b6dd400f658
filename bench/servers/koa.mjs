// @module bench/servers/koa
// Koa 3 with @koa/router, one route returning small JSON, in the mode BENCH_MODE names:
// bare | sightline* (the middleware, and the server instrumented)
import { createServer } from 'node:http'
import Router from '@koa/router'
import Koa from 'koa'
import { sightlineKoa } from 'sightline/koa'
import { mode, payload, port, sightlineFor } from './modes.mjs'

const app = new Koa()
const sightline = await sightlineFor(mode)
if (sightline !== undefined) app.use(sightlineKoa({ sightline }))
const router = new Router()
router.get('/users/:id', (ctx) => {
  ctx.body = payload(ctx.params.id)
})
app.use(router.routes())
const server = createServer(app.callback())
if (sightline !== undefined) sightline.instrument(server)
server.listen(port, '127.0.0.1')
