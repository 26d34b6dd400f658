/**
 * Fastify's own `request.log` and `fastify.log` in an app that gave Fastify no logger (the
 * documented `Fastify({ logger: false })`): they write through Sightline's logger, each request's
 * line with its request_id and trace ids, so handlers written for Fastify's logger keep their
 * lines. `reply.log` stays Fastify's: Fastify logs a handled error's raw message through it (a
 * database's quotes the refused value), and a second access line. An app's own logger is left alone.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { createSightline, type Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import { LogCapture } from '../helpers/logs.js'

let sightline: Sightline
let app: FastifyInstance
let url: string
const logs = new LogCapture()

before(async () => {
  sightline = createSightline({
    service: 'fastify-logs',
    logFormat: 'json',
    logDestination: logs,
    shutdown: { signals: false },
  })
  app = Fastify({ logger: false })
  await app.register(sightlineFastify, { sightline })
  app.get('/patients/:id', async (request, reply) => {
    request.log.info({ patient: (request.params as { id: string }).id }, 'loading patient')
    reply.log.warn('from the reply')
    return {}
  })
  app.get('/fails', async () => {
    throw new Error('refused value SECRET42')
  })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
  app.log.info('listening')
})
after(async () => {
  await app.close()
  await sightline.close()
})

test("request.log writes JSON lines with the request id; reply.log and Fastify's own lines stay silent", async () => {
  const response = await fetch(`${url}/patients/7`, {
    headers: { 'x-request-id': 'fastify-log-1' },
  })
  assert.equal(response.status, 200)
  const line = await logs.waitFor((l) => l.msg === 'loading patient')
  assert.equal(line.request_id, 'fastify-log-1')
  assert.equal(line.patient, '7')
  assert.equal(line.level, 'info')
  assert.equal(line.service, 'fastify-logs')
  await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'fastify-log-1')
  assert.equal(logs.lines.filter((l) => l.msg === 'from the reply').length, 0)
  // One access line per request: Sightline's, not Fastify's as well.
  assert.equal(logs.lines.filter((l) => l.request_id === 'fastify-log-1' && l.msg === 'request completed').length, 1)
  assert.equal((await fetch(`${url}/fails`)).status, 500)
  await new Promise((resolve) => setTimeout(resolve, 150))
  // The error is on Sightline's access line (a 5xx keeps its message); Fastify adds no line of its own.
  const mentioning = logs.lines.filter((l) => JSON.stringify(l).includes('SECRET42'))
  assert.deepEqual(
    mentioning.map((l) => l.msg),
    ['request completed'],
  )
})

test('fastify.log writes through Sightline, outside any request', async () => {
  const line = await logs.waitFor((l) => l.msg === 'listening')
  assert.equal(line.request_id, undefined)
})

test("an app's own Fastify logger is not replaced", async () => {
  const own = Fastify({ logger: { level: 'silent' } })
  const before = own.log
  await own.register(sightlineFastify, { sightline })
  await own.ready()
  assert.equal(own.log, before)
  await own.close()
})
