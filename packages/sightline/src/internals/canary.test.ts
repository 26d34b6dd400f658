/**
 * @module internals/canary.test
 * Canaries for what Sightline borrows from private or unstable internals of Node and OpenTelemetry.
 * Each fails loudly, naming what changed, when an upgrade changes the behaviour relied on. `npm test`
 * runs this file on Node 20, 22 and 24 (scripts/test.mjs installs the other two from the registry).
 * The OTLP 0.x transport (createOtlpHttpExportDelegate, convertLegacyHttpOptions) is exercised end to
 * end against a real server in tracing/otlp-exporter.test.ts; here only its shape.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, get, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { honoMatchedRoute } from '../adapters/hono/hono.js'
import { ENTER_ENDS_WITH_CALLBACK } from '../core/pipeline/context.js'
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '../vendor/otlp-http.js'
import { observeHonoErrors, observeHonoMatches } from './hono.js'
import { mysql2ClusterNodes, mysql2PoolState } from './mysql2.js'
import {
  HAS_CLIENT_REQUEST_CREATED,
  hasOutgoingHeader,
  onClientRequestCreated,
  READS_OUT_HEADERS,
  replaceResponseHead,
  responseHead,
  sendsStringHead,
} from './node.js'
import { hasBatchMethods, NODE_REDIS_MULTI, NODE_REDIS_PIPELINE, nodeRedisInstance } from './node-redis.js'
import { sdkTracerParts } from './otel-sdk.js'

const NODE_MAJOR = Number(process.versions.node.split('.')[0])

describe(`internals canaries on Node ${process.versions.node}`, () => {
  test("the SDK tracer keeps _spanProcessor, _resource and _spanLimits (light spans' sink)", () => {
    const parts = sdkTracerParts(new BasicTracerProvider().getTracer('canary'))
    assert.ok(parts, '@opentelemetry/sdk-trace-base changed its Tracer fields: light spans fall back to startSpan')
    assert.equal(typeof parts.processor.onEnd, 'function')
    assert.equal(typeof parts.limits.attributeCountLimit, 'number')
  })

  test('on Node the string head is the seam (not the setHeader way kept for Bun and Deno)', () => {
    assert.equal(sendsStringHead(), true)
  })

  test("writeHead leaves the whole head in res._header, unsent, ending with a blank line (the request id's seam)", async () => {
    let seen: unknown
    const server = createServer((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const head = responseHead(res)
      seen = { type: typeof head, endsWithBlankLine: String(head).endsWith('\r\n\r\n'), sent: res.socket?.bytesWritten }
      // A line put into the head goes out with it.
      if (head !== null) replaceResponseHead(res, `${head.slice(0, -2)}x-canary: 1\r\n\r\n`)
      res.end('ok')
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const response = await fetch(`http://127.0.0.1:${port}/`)
    await response.text()
    server.close()
    assert.equal(response.headers.get('x-canary'), '1', 'a line added to the unsent head is sent')
    assert.deepEqual(
      seen,
      { type: 'string', endsWithBlankLine: true, sent: 0 },
      "Node's ServerResponse head handling changed",
    )
  })

  test('an outgoing request is told of before its headers are built, through http.get as imported (ESM)', async () => {
    // Node 22.12+: the 'created' channel; Node 20: http.request/get wrapped, and ESM's named
    // exports synced so an import made before the wrap sees it too.
    assert.equal(
      HAS_CLIENT_REQUEST_CREATED,
      NODE_MAJOR >= 23 || (NODE_MAJOR === 22 && Number(process.versions.node.split('.')[1]) >= 12),
    )
    let received: unknown
    const server = createServer((req, res) => {
      received = req.headers['x-canary']
      res.end('ok')
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const release = onClientRequestCreated(({ request }) => request.setHeader('x-canary', 'told'))
    try {
      await new Promise<void>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/`, (res) => {
          res.resume()
          res.on('end', resolve)
        }).on('error', reject)
      })
    } finally {
      release()
      server.close()
    }
    assert.equal(received, 'told', "Node's client request lifecycle changed: outgoing calls lose their traceparent")
  })

  test('enterWith ends with the callback that entered it exactly where async context frames are the default', () => {
    // Node 24 made AsyncContextFrame the default; 20 and 22 keep async_hooks storage. A change
    // here means the pipeline's choice between enterWith and run (core/pipeline) must be rechecked.
    assert.equal(ENTER_ENDS_WITH_CALLBACK, NODE_MAJOR >= 24)
  })

  test("the OTLP 0.x transport's functions keep their shape", () => {
    const options = convertLegacyHttpOptions({ url: 'http://127.0.0.1:1/v1/traces' }, 'TRACES', 'v1/traces', {})
    assert.equal(typeof options, 'object')
    assert.equal(typeof createOtlpHttpExportDelegate, 'function')
    assert.ok(createOtlpHttpExportDelegate.length >= 2)
  })

  test("mysql2's pool keeps _allConnections, _freeConnections, _connectionQueue and config.connectionLimit (its gauges)", async () => {
    // mysql2 is an optional peer, installed in the workspace; a pool opens nothing until asked.
    const mysql = createRequire(import.meta.url)('mysql2') as {
      createPool(options: object): { end(callback: () => void): void }
    }
    const pool = mysql.createPool({ host: '127.0.0.1', port: 1, connectionLimit: 3 })
    try {
      assert.deepEqual(
        mysql2PoolState(pool),
        { total: 0, idle: 0, pending: 0, max: 3 },
        "mysql2 changed its pool's fields: the pool gauges read nothing",
      )
    } finally {
      await new Promise<void>((resolve) => pool.end(resolve))
    }
  })

  test("node-redis' client is an instance's child, and multi() ends in its _executeMulti/_executePipeline", () => {
    // redis is an optional peer, installed in the workspace; a client connects only when asked.
    const redis = createRequire(import.meta.url)('redis') as {
      createClient(options: object): { _self?: unknown; multi(): unknown }
    }
    const client = redis.createClient({ url: 'redis://127.0.0.1:1' })
    const instance = nodeRedisInstance(client)
    assert.notEqual(instance, client, 'node-redis no longer hands out Object.create(instance): no _self')
    assert.equal(Object.getPrototypeOf(client), instance, 'createClient() is no longer a child of its _self')
    assert.ok(hasBatchMethods(instance), `node-redis has no ${NODE_REDIS_MULTI}/${NODE_REDIS_PIPELINE}`)
    // multi() binds the batch methods when called: an own property of the instance is what it binds.
    const multi = Object.getPrototypeOf(instance).MULTI as { toString(): string }
    assert.match(multi.toString(), new RegExp(`this\\.${NODE_REDIS_MULTI}\\.bind\\(this\\)`))
    assert.match(multi.toString(), new RegExp(`this\\.${NODE_REDIS_PIPELINE}\\.bind\\(this\\)`))
  })

  test("mysql2's pool cluster keeps its nodes' pools in _nodes (a cluster's pools)", async () => {
    const mysql = createRequire(import.meta.url)('mysql2') as {
      createPoolCluster(options?: object): { add(id: string, config: object): void; end(callback: () => void): void }
    }
    const cluster = mysql.createPoolCluster()
    cluster.add('primary', { host: '127.0.0.1', port: 1, connectionLimit: 2 })
    try {
      const nodes = mysql2ClusterNodes(cluster)
      assert.ok(nodes, "mysql2 changed its cluster's fields: a cluster's pools are not found")
      assert.deepEqual(
        nodes.map((node) => node.id),
        ['primary'],
      )
      assert.deepEqual(mysql2PoolState(nodes[0]!.pool), { total: 0, idle: 0, pending: 0, max: 2 })
    } finally {
      await new Promise<void>((resolve) => cluster.end(resolve))
    }
  })

  test("Hono's app keeps its error handler in errorHandler (the errors a handler threw, without a middleware)", async () => {
    const { Hono } = (await import('hono')) as typeof import('hono')
    const app = new Hono()
    const seen: unknown[] = []
    assert.ok(
      observeHonoErrors(app, (error) => seen.push(error)),
      'Hono changed its app: no errorHandler field to observe',
    )
    const thrown = new Error('from the handler')
    app.get('/fail', () => {
      throw thrown
    })
    // Hono's default handler (500), then one the app sets afterwards: both are observed.
    assert.equal((await app.request('/fail')).status, 500)
    app.onError((_error, c) => c.text('handled', 503))
    const answered = await app.request('/fail')
    assert.equal(answered.status, 503)
    assert.equal(await answered.text(), 'handled')
    assert.deepEqual(seen, [thrown, thrown], "Hono no longer calls the app's errorHandler with a handler's error")
  })

  test("Hono's dispatch matches once a request through app.router.match, which its routers replace on their first call", async () => {
    const { Hono } = (await import('hono')) as typeof import('hono')
    const app = new Hono()
    const seen: unknown[] = []
    assert.ok(
      observeHonoMatches(app, (result) => seen.push(result)),
      'Hono changed its app: no router.match to observe',
    )
    app.use('*', async (_c, next) => next())
    app.get('/users/:id', (c) => c.text('ok'))
    for (let i = 0; i < 3; i++) assert.equal((await app.request('/users/42')).status, 200)
    assert.equal((await app.request('/users/42', { method: 'HEAD' })).status, 200)
    assert.equal((await app.request('/nowhere')).status, 404)
    assert.equal(seen.length, 5, 'Hono no longer matches each request once through app.router.match')
    assert.deepEqual(
      seen.map(honoMatchedRoute),
      ['/users/:id', '/users/:id', '/users/:id', '/users/:id', undefined],
      "a result of Hono's router no longer carries its routes as [[handler, route], params] (or HEAD is not matched as GET)",
    )
  })

  test('an outgoing message keeps its headers under kOutHeaders, by lower-case name (hasOutgoingHeader)', () => {
    assert.ok(
      READS_OUT_HEADERS,
      'Node changed OutgoingMessage: no kOutHeaders symbol, hasOutgoingHeader falls back to hasHeader',
    )
    const res = new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1 } as never)
    assert.equal(hasOutgoingHeader(res, 'x-request-id'), false)
    res.setHeader('X-Request-ID', 'abc')
    assert.equal(hasOutgoingHeader(res, 'x-request-id'), true, 'Node no longer keys kOutHeaders by lower-case name')
    res.removeHeader('x-request-id')
    assert.equal(hasOutgoingHeader(res, 'x-request-id'), false)
  })
})
