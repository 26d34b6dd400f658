// @module bench/servers/http
// Plain node:http, one route returning small JSON, in the mode BENCH_MODE names: bare | sightline*
import { createServer } from 'node:http'
import { instrumentServer } from 'sightline/http'
import { mode, payload, port, sightlineFor } from './modes.mjs'

const USER = /^\/users\/([^/?]+)/
const server = createServer((req, res) => {
  const match = USER.exec(req.url ?? '')
  if (match === null) {
    res.statusCode = 404
    res.end()
    return
  }
  const body = JSON.stringify(payload(match[1]))
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
const sightline = await sightlineFor(mode)
if (sightline !== undefined) instrumentServer(server, { sightline, routes: ['/users/:id'] })
server.listen(port, '127.0.0.1')
