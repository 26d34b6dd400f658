/**
 * @module test/viewer/security
 * Beyond loopback the viewer needs a token: it refuses to start without one, and with one every
 * request (pages, API, OTLP) must carry it.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'
import { simulateRequest, tracerFor } from './helpers.js'

const TOKEN = 'a-long-enough-test-token-0123'

describe('viewer: token beyond loopback', () => {
  it('refuses to bind beyond loopback without a token', () => {
    assert.throws(() => new Viewer({ host: '0.0.0.0', port: 0 }), {
      code: 'SIGHTLINE_ERR_INVALID_OPTION',
      name: 'SightlineOptionError',
    })
    assert.throws(() => new Viewer({ host: '0.0.0.0', port: 0, token: 'short' }), {
      code: 'SIGHTLINE_ERR_INVALID_OPTION',
    })
    assert.doesNotThrow(() => new Viewer({ host: '127.0.0.1', port: 0 }))
  })

  const viewer = new Viewer({ host: '0.0.0.0', port: 0, token: TOKEN })
  let base = ''
  before(async () => {
    await viewer.listen()
    base = `http://127.0.0.1:${(viewer.server.address() as AddressInfo).port}`
  })
  after(() => viewer.close())

  it('answers 401 without the token, on the API, pages and OTLP', async () => {
    for (const [path, method] of [
      ['/api/traces', 'GET'],
      ['/traces', 'GET'],
      ['/v1/traces', 'POST'],
    ] as const) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      })
      assert.equal(response.status, 401, path)
    }
    const wrong = await fetch(`${base}/api/traces`, { headers: { authorization: `Bearer ${TOKEN}x` } })
    assert.equal(wrong.status, 401)
  })

  it('accepts the bearer token from an exporter and from a script', async () => {
    const setup = tracerFor(base, 'guarded', 'proto', { headers: { authorization: `Bearer ${TOKEN}` } })
    const traceId = simulateRequest(setup, { route: '/x', status: 200, requestId: 'guarded-1' })
    await setup.provider.forceFlush()
    await setup.provider.shutdown()
    const response = await fetch(`${base}/api/traces/${traceId}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(response.status, 200)
  })

  it('turns ?token= into an HttpOnly cookie for the browser', async () => {
    const response = await fetch(`${base}/traces?service=a&token=${TOKEN}`, { redirect: 'manual' })
    assert.equal(response.status, 302)
    assert.equal(response.headers.get('location'), '/traces?service=a')
    const cookie = response.headers.get('set-cookie') ?? ''
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Strict/)
    const page = await fetch(`${base}/traces`, { headers: { cookie: cookie.split(';')[0]! } })
    assert.equal(page.status, 200)
  })
})
