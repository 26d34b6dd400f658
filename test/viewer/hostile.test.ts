/**
 * @module test/viewer/hostile
 * Malformed input is a 4xx, never the end of the viewer: percent-escapes that do not decode in a
 * path or in the token cookie used to throw a URIError out of the request handler, and the process
 * (under `npm start`, the launcher of both services) died. Here the viewer runs in this process:
 * a throw would fail the whole file.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'

const TOKEN = 'a-long-enough-test-token-0123'

describe('viewer: malformed escapes', () => {
  const open = new Viewer({ port: 0 })
  const guarded = new Viewer({ port: 0, token: TOKEN })
  let openBase = ''
  let guardedBase = ''
  before(async () => {
    await open.listen()
    await guarded.listen()
    openBase = `http://127.0.0.1:${(open.server.address() as AddressInfo).port}`
    guardedBase = `http://127.0.0.1:${(guarded.server.address() as AddressInfo).port}`
  })
  after(async () => {
    await open.close()
    await guarded.close()
  })

  it('a trace id that is not valid percent-encoding is a 400 with a message', async () => {
    for (const id of ['%E0%A4%A', '%', '%zz', '%C0%80']) {
      const response = await fetch(`${openBase}/api/traces/${id}`)
      assert.equal(response.status, 400, id)
      assert.match(((await response.json()) as { message: string }).message, /percent-encoding/)
    }
    assert.equal((await fetch(`${openBase}/api/services`)).status, 200, 'still serving')
  })

  it('a token cookie that does not decode is refused (401), before and without a crash', async () => {
    const response = await fetch(`${guardedBase}/api/services`, {
      headers: { cookie: 'sightline_viewer_token=%E0%A4%A' },
    })
    assert.equal(response.status, 401)
    await response.arrayBuffer()
    const good = await fetch(`${guardedBase}/api/services`, {
      headers: { cookie: `sightline_viewer_token=${encodeURIComponent(TOKEN)}` },
    })
    assert.equal(good.status, 200)
  })
})
