/**
 * @module test/foundation/body-errors
 * A body the framework cannot parse never reaches a log line or a span: Node's JSON.parse error
 * quotes the text (`"password":LEAKPW9} is not valid JSON`), body-parser keeps it in `err.body`.
 * Client errors carry no stack (a 404 line was ~1.4 KB). Express, Fastify, Hono and Koa, real sockets,
 * exported spans read back from an OTLP receiver; the notifier's reply is checked too.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, describe, test } from 'node:test'
import { serve } from '@hono/node-server'
import Router from '@koa/router'
import { buildNotifier } from '@sightline/notifier/app.js'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { createSightline, type Sightline } from 'sightline'
import { sightlineExpress, sightlineExpressErrors } from 'sightline/express'
import { sightlineFastify } from 'sightline/fastify'
import { instrumentHonoServer, sightlineHono } from 'sightline/hono'
import { sightlineKoa } from 'sightline/koa'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { close, listen } from '../helpers/server.js'

const SECRET = 'LEAKPW9'
const BAD_JSON = `{"name":"Ada","password":${SECRET}}`

async function traced(name: string) {
  const receiver = await new OtlpReceiver().start()
  const logs = new LogCapture()
  const sightline = createSightline({ service: name, logDestination: logs, shutdown: { signals: false } })
  const tracing = await setupTracing(sightline, {
    ratio: 1,
    protocol: 'http/json',
    endpoint: `${receiver.url}/v1/traces`,
    scheduledDelayMillis: 60_000,
  })
  return { receiver, logs, sightline, tracing }
}

function assertNoSecret(what: string, text: string) {
  assert.equal(text.includes(SECRET), false, `${what} carries the body: ${text}`)
}

describe('errors made from the request body', () => {
  const cleanup: Array<() => Promise<void>> = []
  after(async () => {
    for (const step of cleanup.reverse()) await step()
  })

  async function post(url: string) {
    return fetch(`${url}/api/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BAD_JSON,
    })
  }

  async function check(receiver: OtlpReceiver, tracing: Tracing, logs: LogCapture, sightline: Sightline) {
    const line = await logs.waitFor((l) => l.msg === 'request completed' && l.status === 400)
    assertNoSecret('the access line', JSON.stringify(line))
    const err = line.err as Record<string, unknown>
    assert.equal(err.message, 'the request body could not be parsed')
    assert.equal(err.stack, undefined, 'no stack on a 4xx line')
    await tracing.forceFlush()
    assert.ok(receiver.spans.length > 0)
    assertNoSecret('the spans', JSON.stringify(receiver.spans))
    for (const l of logs.raw) assertNoSecret('a log line', l)
    void sightline
  }

  test('Express with express.json()', async () => {
    const { receiver, logs, sightline, tracing } = await traced('express-body')
    const app = express()
    app.use(sightlineExpress({ sightline }))
    app.use(express.json())
    app.post('/api/things', (_req, res) => res.status(201).end())
    app.use(sightlineExpressErrors())
    // The app's own last handler, as real apps have (Express's default prints the error to stderr).
    app.use((error: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(error.status ?? 500).end()
    })
    const server: Server = createServer(app)
    const url = await listen(server)
    cleanup.push(async () => {
      await close(server)
      await tracing.shutdown()
      await sightline.close()
      await receiver.close()
    })
    const reply = await post(url)
    assert.equal(reply.status, 400)
    await reply.text()
    await check(receiver, tracing, logs, sightline)
    // A 404 line: no stack, a short line.
    await (await fetch(`${url}/nowhere`)).text()
    const notFound = await logs.waitFor((l) => l.msg === 'request completed' && l.status === 404)
    assert.ok(JSON.stringify(notFound).length < 600, JSON.stringify(notFound))
  })

  test('Fastify', async () => {
    const { receiver, logs, sightline, tracing } = await traced('fastify-body')
    const app = Fastify({ logger: false })
    await app.register(sightlineFastify, { sightline })
    app.post('/api/things', async () => ({ ok: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address() as { port: number }
    cleanup.push(async () => {
      await app.close()
      await tracing.shutdown()
      await sightline.close()
      await receiver.close()
    })
    const reply = await post(`http://127.0.0.1:${address.port}`)
    assert.equal(reply.status, 400)
    assertNoSecret('the reply', await reply.text())
    const line = await logs.waitFor((l) => l.msg === 'request completed' && l.status === 400)
    assertNoSecret('the access line', JSON.stringify(line))
    await tracing.forceFlush()
    assertNoSecret('the spans', JSON.stringify(receiver.spans))
  })

  test('Hono with c.req.json()', async () => {
    const { receiver, logs, sightline, tracing } = await traced('hono-body')
    const app = new Hono()
    app.use(sightlineHono({ sightline }))
    app.post('/api/things', async (c) => c.json(await c.req.json(), 201))
    // The app's own error handler, as real apps have: a body it cannot parse is the client's error.
    app.onError((error, c) => c.body(null, error instanceof SyntaxError ? 400 : 500))
    const server = instrumentHonoServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server, {
      sightline,
    })
    await new Promise((resolve) => server.once('listening', resolve))
    cleanup.push(async () => {
      await close(server)
      await tracing.shutdown()
      await sightline.close()
      await receiver.close()
    })
    const reply = await post(`http://127.0.0.1:${(server.address() as { port: number }).port}`)
    assert.equal(reply.status, 400)
    assertNoSecret('the reply', await reply.text())
    await check(receiver, tracing, logs, sightline)
  })

  test('Koa, the app parsing the body itself', async () => {
    const { receiver, logs, sightline, tracing } = await traced('koa-body')
    const app = new Koa()
    // The app's error middleware, outside Sightline's: Sightline still sees the error first.
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        ctx.status = error instanceof SyntaxError ? 400 : 500
      }
    })
    app.use(sightlineKoa({ sightline }))
    const router = new Router()
    router.post('/api/things', async (ctx) => {
      let text = ''
      for await (const chunk of ctx.req) text += chunk
      ctx.body = JSON.parse(text)
      ctx.status = 201
    })
    app.use(router.routes())
    const server = sightline.instrument(createServer(app.callback()))
    const url = await listen(server)
    cleanup.push(async () => {
      await close(server)
      await tracing.shutdown()
      await sightline.close()
      await receiver.close()
    })
    const reply = await post(url)
    assert.equal(reply.status, 400)
    assertNoSecret('the reply', await reply.text())
    await check(receiver, tracing, logs, sightline)
    const line = await logs.waitFor((l) => l.msg === 'request completed' && l.status === 400)
    assert.equal(line.route, '/api/things')
  })

  test("the notifier's reply does not echo the body", async () => {
    const logs = new LogCapture()
    const sightline = createSightline({ service: 'notifier-body', logDestination: logs, shutdown: { signals: false } })
    const server = createServer(buildNotifier(sightline))
    const url = await listen(server)
    cleanup.push(async () => {
      await close(server)
      await sightline.close()
    })
    const reply = await fetch(`${url}/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BAD_JSON,
    })
    assert.equal(reply.status, 400)
    assertNoSecret('the reply', await reply.text())
    const line = await logs.waitFor((l) => l.msg === 'request completed' && l.status === 400)
    assertNoSecret('the access line', JSON.stringify(line))
  })
})
