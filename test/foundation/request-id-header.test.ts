/**
 * X-Request-ID is added as the headers are written (so a framework's `writeHead(status, headers)`
 * keeps Node's fast path): every way of writing headers still carries it, an application's own
 * value wins, and a headers object shared between responses is never changed.
 */
import assert from 'node:assert/strict'
import { createServer, type OutgoingHttpHeaders, type RequestListener } from 'node:http'
import { Writable } from 'node:stream'
import { after, test } from 'node:test'
import { Sightline } from 'sightline'
import { wrapListener } from 'sightline/http'
import { close, listen } from '../helpers/server.js'

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() })
const sightline = new Sightline({ service: 'header-test', logDestination: quiet, shutdown: { signals: false } })
after(() => sightline.close())

/** Shared between responses, frozen: a merge that wrote into it would throw or leak ids. */
const SHARED: OutgoingHttpHeaders = Object.freeze({ 'content-type': 'text/plain' })

const routes: Record<string, RequestListener> = {
  '/object': (_req, res) => res.writeHead(200, SHARED).end('ok'),
  '/reason': (_req, res) => res.writeHead(200, 'Fine', SHARED).end('ok'),
  '/array': (_req, res) => res.writeHead(200, ['content-type', 'text/plain']).end('ok'),
  '/implicit': (_req, res) => res.end('ok'),
  '/progressive': (_req, res) => {
    res.setHeader('content-type', 'text/plain')
    res.writeHead(201, { 'cache-control': 'no-store' }).end('ok')
  },
  '/own-set': (_req, res) => {
    res.setHeader('x-request-id', 'app-chosen')
    res.end('ok')
  },
  '/own-object': (_req, res) => res.writeHead(200, { 'X-Request-ID': 'app-chosen' }).end('ok'),
  '/own-array': (_req, res) => res.writeHead(200, ['X-Request-Id', 'app-chosen']).end('ok'),
  '/own-pairs': (_req, res) => res.writeHead(200, [['x-request-id', 'app-chosen']]).end('ok'),
  '/no-content': (_req, res) => res.writeHead(204).end(),
  '/streamed': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('o')
    setImmediate(() => res.end('k'))
  },
}

test('every way of writing headers carries the request id; the application’s own value wins', async () => {
  const server = createServer(wrapListener((req, res) => routes[req.url ?? '']?.(req, res), { sightline }))
  const base = await listen(server)
  try {
    for (const path of ['/object', '/reason', '/array', '/implicit', '/progressive', '/streamed']) {
      const sent = `id-${path.slice(1)}`
      const response = await fetch(`${base}${path}`, { headers: { 'x-request-id': sent } })
      assert.equal(await response.text(), 'ok')
      // Once, not twice: a second line would read back as `id, id`.
      assert.equal(response.headers.get('x-request-id'), sent, path)
      if (path !== '/implicit') assert.equal(response.headers.get('content-type'), 'text/plain', path)
    }
    const noContent = await fetch(`${base}/no-content`, { headers: { 'x-request-id': 'id-204' } })
    assert.equal(noContent.status, 204)
    assert.equal(noContent.headers.get('x-request-id'), 'id-204')
    const head = await fetch(`${base}/object`, { method: 'HEAD', headers: { 'x-request-id': 'id-head' } })
    assert.equal(head.headers.get('x-request-id'), 'id-head')
    const generated = await fetch(`${base}/object`)
    assert.match(generated.headers.get('x-request-id') ?? '', /^[a-z0-9]+-[a-z0-9]+$/)
    const reason = await fetch(`${base}/reason`)
    assert.equal(reason.statusText, 'Fine')
    const progressive = await fetch(`${base}/progressive`)
    assert.equal(progressive.status, 201)
    assert.equal(progressive.headers.get('cache-control'), 'no-store')
    for (const path of ['/own-set', '/own-object', '/own-array', '/own-pairs']) {
      const response = await fetch(`${base}${path}`, { headers: { 'x-request-id': 'from-client' } })
      await response.text()
      assert.equal(response.headers.get('x-request-id'), 'app-chosen', path)
    }
    assert.deepEqual(Object.keys(SHARED), ['content-type'], 'the shared object was not changed')
  } finally {
    await close(server)
  }
})
