/**
 * @module test/foundation/keepalive-drain
 * Graceful shutdown under keep-alive load loses no request: every response written after the drain
 * began says `Connection: close` and closes its socket, so a client never sends its next request
 * on a connection the server is about to close (that request used to get a reset or a 503). For
 * node:http, Fastify, Express, Hono and Koa, with keep-alive agents sending without pause through the drain.
 */
import assert from 'node:assert/strict'
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { serve } from '@hono/node-server'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { createSightline, type Sightline } from 'sightline'
import { sightlineExpress } from 'sightline/express'
import { sightlineFastify } from 'sightline/fastify'
import { instrumentHonoServer, sightlineHono } from 'sightline/hono'
import { sightlineKoa } from 'sightline/koa'
import { LogCapture } from '../helpers/logs.js'

const WORK_MS = 20
const CLIENTS = 8

interface Reply {
  status: number
  connection: string | undefined
  /** Sent on a connection of its own rather than a reused keep-alive one. */
  fresh: boolean
}

function get(agent: Agent, port: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
      res.resume()
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, fresh: !req.reusedSocket }),
      )
      res.on('error', reject)
    })
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A connection the kernel had queued when the listener closed is reset without a byte read:
      // the end of the load, as a refused one. A request on a reused keep-alive socket is not.
      reject(Object.assign(error, { fresh: !req.reusedSocket }))
    })
    req.end()
  })
}

/** Clients send back to back until the server stops listening; returns what happened to each request. */
async function loadThroughDrain(sightline: Sightline, port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
  const results = { ok: 0, failed: [] as string[], closed: 0, shedOnNewConnection: 0 }
  let refused = false
  // A server that never stops listening would keep the clients going: the test fails instead.
  const deadline = Date.now() + 10_000
  const client = async () => {
    while (!refused) {
      if (Date.now() > deadline) {
        results.failed.push('the server still accepted connections 10 s later')
        return
      }
      try {
        const reply = await get(agent, port)
        if (reply.status === 200) results.ok++
        else if (reply.status === 503 && reply.fresh && reply.connection === 'close') results.shedOnNewConnection++
        else results.failed.push(`status ${reply.status} on a ${reply.fresh ? 'new' : 'reused'} connection`)
        if (reply.connection === 'close') results.closed++
      } catch (error) {
        const { code, fresh } = error as NodeJS.ErrnoException & { fresh: boolean }
        // A new connection refused (or reset from the accept queue): the server has stopped
        // listening; the load ends here.
        if (code === 'ECONNREFUSED' || (code === 'ECONNRESET' && fresh)) refused = true
        else results.failed.push(`${code ?? error} on a ${fresh ? 'new' : 'reused'} connection`)
      }
    }
  }
  const clients = Array.from({ length: CLIENTS }, client)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const shutdown = sightline.shutdown('test')
  await Promise.all(clients)
  await shutdown
  agent.destroy()
  return results
}

function service(name: string): Sightline {
  return createSightline({
    service: name,
    logDestination: new LogCapture(),
    shutdown: { signals: false, delayMs: 0, timeoutMs: 5000 },
  })
}

const slow = () => new Promise((resolve) => setTimeout(resolve, WORK_MS))

describe('keep-alive requests through a graceful drain', { timeout: 60_000 }, () => {
  test('node:http', async () => {
    const sightline = service('http-drain')
    const server: Server = sightline.instrument(
      createServer(async (_req, res) => {
        await slow()
        res.end('ok')
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const results = await loadThroughDrain(sightline, (server.address() as AddressInfo).port)
    await sightline.close()
    assert.deepEqual(results.failed, [], `${results.ok} ok`)
    assert.ok(results.ok > 50 && results.closed > 0, JSON.stringify(results))
  })

  // Fastify sheds a request that arrives once its close() began with a 503 and `Connection: close`
  // (its return503OnClosing, on by default). After the grace no keep-alive socket is left to carry
  // one, so it can only be one on a connection accepted in the instant before the listener closed,
  // which a load balancer stops sending during the readiness delay.
  for (const return503OnClosing of [true, false]) {
    test(`Fastify (return503OnClosing: ${return503OnClosing})`, async () => {
      const sightline = service('fastify-drain')
      const app = Fastify({ logger: false, return503OnClosing })
      await app.register(sightlineFastify, { sightline })
      app.get('/work', async () => {
        await slow()
        return 'ok'
      })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const results = await loadThroughDrain(sightline, (app.server.address() as AddressInfo).port)
      await sightline.close()
      assert.deepEqual(results.failed, [], `${results.ok} ok`)
      if (!return503OnClosing) assert.equal(results.shedOnNewConnection, 0)
      assert.ok(results.ok > 50 && results.closed > 0, JSON.stringify(results))
    })
  }

  test('Express', async () => {
    const sightline = service('express-drain')
    const app = express()
    app.use(sightlineExpress({ sightline }))
    app.get('/work', async (_req, res) => {
      await slow()
      res.send('ok')
    })
    const server = sightline.manage(app.listen(0, '127.0.0.1'))
    await new Promise((resolve) => server.once('listening', resolve))
    const results = await loadThroughDrain(sightline, (server.address() as AddressInfo).port)
    await sightline.close()
    assert.deepEqual(results.failed, [], `${results.ok} ok`)
    assert.equal(results.shedOnNewConnection, 0)
    assert.ok(results.ok > 50 && results.closed > 0, JSON.stringify(results))
  })

  test('Hono', async () => {
    const sightline = service('hono-drain')
    const app = new Hono()
    app.use(sightlineHono({ sightline }))
    app.get('/work', async (c) => {
      await slow()
      return c.text('ok')
    })
    const server = instrumentHonoServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server, {
      sightline,
    })
    await new Promise((resolve) => server.once('listening', resolve))
    const results = await loadThroughDrain(sightline, (server.address() as AddressInfo).port)
    await sightline.close()
    assert.deepEqual(results.failed, [], `${results.ok} ok`)
    assert.equal(results.shedOnNewConnection, 0)
    assert.ok(results.ok > 50 && results.closed > 0, JSON.stringify(results))
  })

  test('Koa', async () => {
    const sightline = service('koa-drain')
    const app = new Koa()
    app.use(sightlineKoa({ sightline }))
    const router = new Router()
    router.get('/work', async (ctx) => {
      await slow()
      ctx.body = 'ok'
    })
    app.use(router.routes())
    const server = sightline.instrument(app.listen(0, '127.0.0.1'))
    await new Promise((resolve) => server.once('listening', resolve))
    const results = await loadThroughDrain(sightline, (server.address() as AddressInfo).port)
    await sightline.close()
    assert.deepEqual(results.failed, [], `${results.ok} ok`)
    assert.equal(results.shedOnNewConnection, 0)
    assert.ok(results.ok > 50 && results.closed > 0, JSON.stringify(results))
  })
})
