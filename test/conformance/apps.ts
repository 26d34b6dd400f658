/**
 * @module test/conformance/apps
 * The same small application on each adapter, so one scenario table runs against all of them:
 * `GET /users/:id` (logs inside the handler, after an await), `GET /boom` (throws), `GET /slow` (waits),
 * `POST /api/things` (a JSON body, parsed as each framework does; a body that is not JSON is a 400).
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { serve } from '@hono/node-server'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { createSightline, type Sightline, type SightlineOptions } from 'sightline'
import { sightlineExpress, sightlineExpressErrors } from 'sightline/express'
import { sightlineFastify } from 'sightline/fastify'
import { instrumentHonoServer } from 'sightline/hono'
import { instrumentServer } from 'sightline/http'
import { sightlineKoa } from 'sightline/koa'
import { LogCapture } from '../helpers/logs.js'
import { listen } from '../helpers/server.js'
import { startNestApp } from './nest-app.js'

export interface TestApp {
  url: string
  sightline: Sightline
  logs: LogCapture
  server: Server
  close(): Promise<void>
}

export type AdapterName = 'http' | 'fastify' | 'express' | 'hono' | 'koa' | 'nest-express' | 'nest-fastify'
export const ADAPTERS: AdapterName[] = ['http', 'fastify', 'express', 'hono', 'koa', 'nest-express', 'nest-fastify']

const tick = () => new Promise((resolve) => setImmediate(resolve))

export async function startApp(adapter: AdapterName, options: SightlineOptions = {}): Promise<TestApp> {
  const logs = new LogCapture()
  const sightline = createSightline({
    service: `test-${adapter}`,
    logFormat: 'json',
    logDestination: logs,
    readyCacheMs: 0,
    ...options,
    shutdown: { signals: false, delayMs: 0, ...options.shutdown },
  })
  const slowMs = (url: string | undefined) => Number(new URL(url ?? '/', 'http://x').searchParams.get('ms') ?? 50)
  let server: Server
  let closeApp: () => Promise<void>
  if (adapter === 'nest-express' || adapter === 'nest-fastify') {
    const app = await startNestApp(adapter === 'nest-express' ? 'express' : 'fastify', sightline)
    server = app.server
    closeApp = () => app.close()
  } else if (adapter === 'fastify') {
    const app = Fastify({ logger: false })
    await app.register(sightlineFastify, { sightline })
    app.get('/users/:id', async (request) => {
      await tick()
      sightline.logger.info({ user: (request.params as { id: string }).id }, 'inside handler')
      return { id: (request.params as { id: string }).id }
    })
    app.get('/boom', async () => {
      throw new Error('kaboom')
    })
    app.get('/slow', async (request) => {
      await new Promise((resolve) => setTimeout(resolve, slowMs(request.url)))
      return { slow: true }
    })
    app.post('/api/things', async () => ({ ok: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    server = app.server
    closeApp = () => app.close()
  } else if (adapter === 'express') {
    const app = express()
    app.use(sightlineExpress({ sightline }))
    app.get('/users/:id', async (req, res) => {
      await tick()
      sightline.logger.info({ user: req.params.id }, 'inside handler')
      res.json({ id: req.params.id })
    })
    app.get('/boom', () => {
      throw new Error('kaboom')
    })
    app.get('/slow', async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, slowMs(req.url)))
      res.json({ slow: true })
    })
    app.post('/api/things', express.json(), (_req, res) => {
      res.status(201).json({ ok: true })
    })
    app.use(sightlineExpressErrors())
    // As an Express app should: a client error Express marks (a malformed escape in a route
    // parameter is a 400) keeps its status; anything else is a 500.
    app.use(
      (
        error: Error & { status?: number },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        const status = error.status !== undefined && error.status >= 400 && error.status < 500 ? error.status : 500
        res.status(status).json({ error: status === 500 ? error.message : 'bad request' })
      },
    )
    server = createServer(app)
    sightline.manage(server)
    await listen(server)
    closeApp = () => new Promise((resolve) => server.close(() => resolve()))
  } else if (adapter === 'hono') {
    // The recommended form: no middleware, the app given to instrumentHonoServer
    // (test/foundation/hono-koa-routes.test.ts covers the middleware form too).
    const app = new Hono()
    app.get('/users/:id', async (c) => {
      await tick()
      sightline.logger.info({ user: c.req.param('id') }, 'inside handler')
      return c.json({ id: c.req.param('id') })
    })
    app.get('/boom', () => {
      throw new Error('kaboom')
    })
    app.get('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, slowMs(c.req.url)))
      return c.json({ slow: true })
    })
    app.post('/api/things', async (c) => c.json(await c.req.json(), 201))
    // Instrumented as serve() returns: it has begun listening, and no request can arrive before.
    // As a Hono app would, rather than Hono's default handler, which prints the error to stderr.
    // A body that is not JSON is the client's error, answered without JSON.parse's message (it quotes the body).
    app.onError((error, c) =>
      error instanceof SyntaxError ? c.json({ error: 'bad request' }, 400) : c.json({ error: error.message }, 500),
    )
    server = instrumentHonoServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server, {
      sightline,
      app,
    })
    await once(server, 'listening')
    closeApp = () => new Promise((resolve) => server.close(() => resolve()))
  } else if (adapter === 'koa') {
    const app = new Koa()
    app.silent = true // Koa prints 5xx errors to stderr otherwise: /boom is expected here.
    // The app's error middleware, outside Sightline's, for the body it cannot parse (Koa would
    // answer a 4xx error with its message, JSON.parse's quoting the body): Sightline still sees
    // the error first. Anything else goes on to Koa's own handling (/boom's 500).
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error
        ctx.status = 400
        ctx.body = { error: 'bad request' }
      }
    })
    app.use(sightlineKoa({ sightline }))
    const router = new Router()
    router.get('/users/:id', async (ctx) => {
      await tick()
      sightline.logger.info({ user: ctx.params.id }, 'inside handler')
      ctx.body = { id: ctx.params.id }
    })
    router.get('/boom', () => {
      throw new Error('kaboom')
    })
    router.get('/slow', async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, slowMs(ctx.url)))
      ctx.body = { slow: true }
    })
    router.post('/api/things', async (ctx) => {
      let text = ''
      for await (const chunk of ctx.req) text += chunk
      ctx.body = JSON.parse(text)
      ctx.status = 201
    })
    app.use(router.routes())
    server = sightline.instrument(createServer(app.callback()))
    await listen(server)
    closeApp = () => new Promise((resolve) => server.close(() => resolve()))
  } else {
    server = createServer(async (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      const user = /^\/users\/([^/]+)$/.exec(path)
      if (user !== null) {
        await tick()
        sightline.logger.info({ user: user[1] }, 'inside handler')
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ id: user[1] }))
      } else if (path === '/boom') {
        res.statusCode = 500
        res.end('kaboom')
      } else if (path === '/slow') {
        await new Promise((resolve) => setTimeout(resolve, slowMs(req.url)))
        res.end('{"slow":true}')
      } else if (path === '/api/things' && req.method === 'POST') {
        let text = ''
        for await (const chunk of req) text += chunk
        try {
          JSON.parse(text)
          res.statusCode = 201
          res.end('{"ok":true}')
        } catch {
          res.statusCode = 400
          res.end('{"error":"bad request"}')
        }
      } else {
        res.statusCode = 404
        res.end('not found')
      }
    })
    instrumentServer(server, { sightline, routes: ['/users/:id', '/boom', '/slow', '/api/things'] })
    await listen(server)
    closeApp = () => new Promise((resolve) => server.close(() => resolve()))
  }
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  return {
    url,
    sightline,
    logs,
    server,
    async close() {
      server.closeAllConnections()
      if (server.listening) await closeApp()
      await sightline.close()
    },
  }
}

/**
 * Sends a raw HTTP/1.1 request over a socket, for what fetch refuses to send, and reads until the
 * server closes. `halfClose: false` keeps the sending side open (Node answers only the first of
 * several pipelined requests once the client has ended): the last request must ask to close.
 */
export async function rawRequest(url: string, head: string, options = { halfClose: true }): Promise<string> {
  const { connect } = await import('node:net')
  const { port } = new URL(url)
  const socket = connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  if (options.halfClose) socket.end(head)
  else socket.write(head)
  let data = ''
  socket.setEncoding('utf8')
  for await (const chunk of socket) data += chunk
  return data
}
