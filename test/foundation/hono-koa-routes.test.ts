/**
 * @module test/foundation/hono-koa-routes
 * Route templates as Hono and Koa name them, beyond the shared app of apps.ts: a Hono sub-app
 * mounted with `app.route()` and a nested `@koa/router` carry their prefixes; a path only
 * middleware matched is `unmatched`; a middleware that answers keeps its own template; the error a
 * handler threw is on the access line.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { serve } from '@hono/node-server'
import Router from '@koa/router'
import { Hono } from 'hono'
import Koa from 'koa'
import { createSightline } from 'sightline'
import { instrumentHonoServer, sightlineHono } from 'sightline/hono'
import { sightlineKoa } from 'sightline/koa'
import { LogCapture } from '../helpers/logs.js'
import { close, listen } from '../helpers/server.js'

function service(name: string) {
  const logs = new LogCapture()
  const sightline = createSightline({ service: name, logDestination: logs, shutdown: { signals: false } })
  return { logs, sightline }
}

async function routeOf(logs: LogCapture, url: string, id: string) {
  await (await fetch(url, { headers: { 'x-request-id': id } })).text()
  const line = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === id)
  return { route: line.route, status: line.status, err: line.err as { message?: string } | undefined }
}

describe('Hono route templates', () => {
  test('sub-apps, middleware that answers, fall-through, errors', async () => {
    const { logs, sightline } = service('hono-routes')
    const app = new Hono()
    app.use(sightlineHono({ sightline }))
    app.use('/private/*', async (c, next) => {
      if (c.req.header('authorization') === undefined) return c.text('no', 401)
      await next()
    })
    const api = new Hono()
    api.get('/patients/:id', (c) => c.text(c.req.param('id')))
    api.get('/fail', () => {
      throw new Error('failed here')
    })
    app.route('/api', api)
    app.get('/private/data', (c) => c.text('data'))
    app.onError((_error, c) => c.text('error', 500))
    const server = instrumentHonoServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server, {
      sightline,
    })
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      assert.deepEqual(await routeOf(logs, `${url}/api/patients/7`, 'h1'), {
        route: '/api/patients/:id',
        status: 200,
        err: undefined,
      })
      assert.deepEqual(await routeOf(logs, `${url}/nowhere`, 'h2'), { route: 'unmatched', status: 404, err: undefined })
      assert.deepEqual(await routeOf(logs, `${url}/private/data`, 'h3'), {
        route: '/private/*',
        status: 401,
        err: undefined,
      })
      const failed = await routeOf(logs, `${url}/api/fail`, 'h4')
      assert.equal(failed.route, '/api/fail')
      assert.equal(failed.status, 500)
      assert.equal(failed.err?.message, 'failed here')
    } finally {
      await close(server)
      await sightline.close()
    }
  })
})

describe('Hono route templates without a middleware (instrumentHonoServer with the app)', () => {
  test("the router's match for each request, HEAD as GET, middleware skipped, errors seen at onError", async () => {
    const { logs, sightline } = service('hono-app-routes')
    const app = new Hono()
    app.use('/private/*', async (c, next) => {
      if (c.req.header('authorization') === undefined) return c.text('no', 401)
      await next()
    })
    const api = new Hono()
    api.get('/patients/:id', (c) => c.text(c.req.param('id')))
    api.get('/fail', () => {
      throw new Error('failed here')
    })
    app.route('/api', api)
    app.get('/private/data', (c) => c.text('data'))
    app.get('/sync/:id', (c) => c.json({ id: c.req.param('id') }))
    // Set before instrumenting here; one set afterwards is observed as well (the second app below).
    app.onError((_error, c) => c.text('error', 500))
    const server = instrumentHonoServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server, {
      sightline,
      app,
    })
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      assert.deepEqual(await routeOf(logs, `${url}/api/patients/7?x=1`, 'a1'), {
        route: '/api/patients/:id',
        status: 200,
        err: undefined,
      })
      assert.deepEqual(await routeOf(logs, `${url}/sync/5`, 'a2'), { route: '/sync/:id', status: 200, err: undefined })
      assert.deepEqual(await routeOf(logs, `${url}/nowhere`, 'a3'), { route: 'unmatched', status: 404, err: undefined })
      // The middleware answered for a route that exists: the request is labelled with that route.
      assert.deepEqual(await routeOf(logs, `${url}/private/data`, 'a4'), {
        route: '/private/data',
        status: 401,
        err: undefined,
      })
      await (await fetch(`${url}/sync/6`, { method: 'HEAD', headers: { 'x-request-id': 'a5' } })).text()
      const head = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'a5')
      assert.equal(head.route, '/sync/:id')
      const failed = await routeOf(logs, `${url}/api/fail`, 'a6')
      assert.equal(failed.route, '/api/fail')
      assert.equal(failed.status, 500)
      assert.equal(failed.err?.message, 'failed here')
    } finally {
      await close(server)
      await sightline.close()
    }

    // An onError set after instrumenting, and Hono's default one, are observed too.
    const second = service('hono-app-late-onerror')
    const late = new Hono()
    late.get('/fail', () => {
      throw new Error('late handler')
    })
    const lateServer = instrumentHonoServer(serve({ fetch: late.fetch, port: 0, hostname: '127.0.0.1' }) as Server, {
      sightline: second.sightline,
      app: late,
    })
    late.onError((_error, c) => c.text('handled late', 503))
    await new Promise((resolve) => lateServer.once('listening', resolve))
    try {
      const lateUrl = `http://127.0.0.1:${(lateServer.address() as AddressInfo).port}`
      const response = await fetch(`${lateUrl}/fail`, { headers: { 'x-request-id': 'b1' } })
      assert.equal(await response.text(), 'handled late', "the app's own handler still answers")
      const line = await second.logs.waitFor((l) => l.msg === 'request completed' && l.request_id === 'b1')
      assert.equal(line.status, 503)
      assert.equal((line.err as { message?: string } | undefined)?.message, 'late handler')
    } finally {
      await close(lateServer)
      await second.sightline.close()
    }
  })
})

describe('Koa route templates', () => {
  test('nested routers carry their prefixes; unmatched; errors', async () => {
    const { logs, sightline } = service('koa-routes')
    const app = new Koa()
    app.silent = true
    app.use(sightlineKoa({ sightline }))
    const patients = new Router()
    patients.get('/:id', (ctx) => {
      ctx.body = ctx.params.id
    })
    patients.get('/:id/fail', (ctx) => {
      ctx.throw(409, 'conflict here')
    })
    const api = new Router({ prefix: '/api' })
    api.use('/patients', patients.routes())
    app.use(api.routes())
    const server = sightline.instrument(createServer(app.callback()))
    const url = await listen(server)
    try {
      assert.deepEqual(await routeOf(logs, `${url}/api/patients/7`, 'k1'), {
        route: '/api/patients/:id',
        status: 200,
        err: undefined,
      })
      assert.deepEqual(await routeOf(logs, `${url}/nowhere`, 'k2'), { route: 'unmatched', status: 404, err: undefined })
      const failed = await routeOf(logs, `${url}/api/patients/7/fail`, 'k3')
      assert.equal(failed.route, '/api/patients/:id/fail')
      assert.equal(failed.status, 409)
      assert.equal(failed.err?.message, 'conflict here')
    } finally {
      await close(server)
      await sightline.close()
    }
  })
})
