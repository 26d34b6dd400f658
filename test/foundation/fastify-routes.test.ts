/**
 * Fastify's route templates for requests that never reach their handler: a request a route's hook
 * answers (401 from an auth hook, 403 from a plugin's hook) or its schema rejects keeps its route's
 * template, in the access line and in the metrics. Over real sockets.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { createSightline, type Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import { LogCapture } from '../helpers/logs.js'
import { findSamples, parseMetrics } from '../helpers/metrics.js'

const DURATION = 'http_server_request_duration_seconds_count'

describe('Fastify route templates', () => {
  let app: FastifyInstance
  let sightline: Sightline
  let url: string
  const logs = new LogCapture()

  before(async () => {
    sightline = createSightline({
      service: 'fastify-routes',
      logFormat: 'json',
      logDestination: logs,
      shutdown: { signals: false, delayMs: 0 },
    })
    app = Fastify({ logger: false })
    await app.register(sightlineFastify, { sightline })
    app.get('/users/:id', async (request) => ({ id: (request.params as { id: string }).id }))
    app.get(
      '/private/:id',
      { onRequest: (_request, reply, _done) => void reply.code(401).send({ error: 'unauthorised' }) },
      async () => ({ secret: true }),
    )
    app.get(
      '/typed/:n',
      { schema: { params: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } },
      async (request) => request.params,
    )
    app.register(
      async (child) => {
        child.addHook('preHandler', async (_request, reply) => reply.code(403).send({ error: 'forbidden' }))
        child.get('/admin/:page', async () => ({ admin: true }))
      },
      { prefix: '/v1' },
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  })
  after(async () => {
    await app.close()
    await sightline.close()
  })

  const accessLine = async (id: string) =>
    logs.waitFor((line) => line.msg === 'request completed' && line.request_id === id)
  const get = async (path: string, id: string, method = 'GET') => {
    const response = await fetch(`${url}${path}`, { method, headers: { 'x-request-id': id } })
    await response.arrayBuffer()
    return response.status
  }

  test('a request its handler answers carries the template', async () => {
    assert.equal(await get('/users/5?x=1', 'handled'), 200)
    assert.equal((await accessLine('handled')).route, '/users/:id')
  })

  test("a request a route's hook answers keeps its route's template", async () => {
    assert.equal(await get('/private/9', 'hooked'), 401)
    assert.equal((await accessLine('hooked')).route, '/private/:id')
    assert.equal(await get('/v1/admin/users?tab=2', 'prefixed'), 403)
    assert.equal((await accessLine('prefixed')).route, '/v1/admin/:page')
  })

  test('a request its schema rejects keeps its template', async () => {
    assert.equal(await get('/typed/not-a-number', 'invalid'), 400)
    assert.equal((await accessLine('invalid')).route, '/typed/:n')
  })

  test("HEAD requests get the GET route's template; unknown paths stay unmatched", async () => {
    assert.equal(await get('/users/7', 'head', 'HEAD'), 200)
    assert.equal((await accessLine('head')).route, '/users/:id')
    assert.equal(await get('/nowhere/at/all', 'missing'), 404)
    assert.equal((await accessLine('missing')).route, 'unmatched')
  })

  test('metrics carry the same templates, never raw paths', async () => {
    const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text())
    for (const [route, status] of [
      ['/private/:id', '401'],
      ['/typed/:n', '400'],
      ['/v1/admin/:page', '403'],
    ] as const) {
      assert.equal(
        findSamples(samples, DURATION, { http_route: route, http_response_status_code: status }).length,
        1,
        `${route} ${status}`,
      )
    }
    assert.equal(findSamples(samples, DURATION).filter((s) => s.labels.http_route?.includes('/private/9')).length, 0)
  })
})
