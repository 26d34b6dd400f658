// @module bench/servers/express
// Express 5, one route returning small JSON, in the mode BENCH_MODE names:
// bare | peer (pino-http + express-prom-bundle; OpenTelemetry comes from --require) | sightline*
import { createServer } from 'node:http'
import express from 'express'
import { sightlineExpress } from 'sightline/express'
import { mode, payload, port, sightlineFor } from './modes.mjs'

const app = express()
if (mode === 'peer') {
  const { default: pinoHttp } = await import('pino-http')
  const { default: promBundle } = await import('express-prom-bundle')
  app.use(pinoHttp())
  app.use(promBundle({ includeMethod: true, includePath: true }))
}
const sightline = await sightlineFor(mode)
if (sightline !== undefined) app.use(sightlineExpress({ sightline }))
app.get('/users/:id', (req, res) => res.json(payload(req.params.id)))
const server = createServer(app)
if (sightline !== undefined) sightline.manage(server)
server.listen(port, '127.0.0.1')
