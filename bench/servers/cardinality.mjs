// @module bench/servers/cardinality
// node:http + Sightline for the cardinality scenario; `/__heap` answers the heap in use after a full
// GC (run with --expose-gc). Every other path is unmatched.
import { createServer } from 'node:http'
import { instrumentServer } from 'sightline/http'
import { port, sightlineFor } from './modes.mjs'

const sightline = await sightlineFor('sightline')
const server = createServer((req, res) => {
  if (req.url === '/__heap') {
    globalThis.gc?.()
    res.end(JSON.stringify({ heapUsed: process.memoryUsage().heapUsed }))
    return
  }
  res.statusCode = 404
  res.end()
})
instrumentServer(server, { sightline, routes: ['/users/:id'] })
server.listen(port, '127.0.0.1')
