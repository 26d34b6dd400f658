/**
 * @module test/foundation/refused-requests
 * Requests Node's parser refuses never reach a handler, so no access line or RED series sees them:
 * they are counted on `sightline_http_server_refused_requests_total{http_response_status_code,
 * error_type}`, on every adapter, and the client gets the same reply as without Sightline (one
 * reply: Fastify answers itself, Sightline only counts). doctor-api gives a slow client 408 after
 * its request timeout instead of holding the connection (Fastify's default holds it forever).
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, test } from 'node:test'
import { METRIC_HTTP_SERVER_REFUSED } from 'sightline/names'
import { ADAPTERS, startApp } from '../conformance/apps.js'
import { startDoctorApi } from '../doctor-api/harness.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'

/** Sends `chunks` (one every `everyMs`) on a new connection; resolves with all it got back once closed. */
function raw(url: string, chunks: string[], everyMs = 0): Promise<{ reply: string; ms: number }> {
  const { port } = new URL(url)
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    let reply = ''
    let timer: NodeJS.Timeout | undefined
    socket.setEncoding('utf8')
    socket.on('data', (data: string) => {
      reply += data
    })
    socket.on('error', () => {}) // the server may reset after its reply: what was read is the result
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ reply, ms: Date.now() - started })
    })
    socket.on('connect', () => {
      let next = 0
      const send = () => {
        if (next < chunks.length && socket.writable) socket.write(chunks[next++] as string)
      }
      send()
      if (everyMs > 0) timer = setInterval(send, everyMs)
      else while (next < chunks.length) send()
    })
    setTimeout(() => reject(new Error(`no close within 10 s; got ${JSON.stringify(reply)}`)), 10_000).unref()
  })
}

const statusLines = (reply: string) => reply.match(/^HTTP\/1\.1 \d{3}/gm) ?? []

describe('requests refused by the parser', () => {
  for (const adapter of ADAPTERS) {
    test(`${adapter}: counted by status and parser error, answered once as Node would`, async () => {
      const app = await startApp(adapter)
      try {
        const malformed = await raw(app.url, ['GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n'])
        assert.deepEqual(statusLines(malformed.reply), ['HTTP/1.1 400'], malformed.reply)
        const huge = await raw(app.url, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`])
        assert.deepEqual(statusLines(huge.reply), ['HTTP/1.1 431'], huge.reply)
        // A client that goes away mid-request is no refusal.
        await raw(app.url, ['GET / HT']).catch(() => {})
        const ok = await fetch(`${app.url}/users/7`)
        assert.equal(ok.status, 200)
        const samples = parseMetrics(await app.sightline.metrics.render(false))
        const refused = (status: string, type: string) =>
          sampleValue(samples, METRIC_HTTP_SERVER_REFUSED, { http_response_status_code: status, error_type: type })
        assert.equal(refused('400', 'HPE_INVALID_METHOD'), 1)
        assert.equal(refused('431', 'HPE_HEADER_OVERFLOW'), 1)
        const total = samples.filter((s) => s.name === METRIC_HTTP_SERVER_REFUSED).reduce((n, s) => n + s.value, 0)
        assert.equal(total, 2)
      } finally {
        await app.close()
      }
    })
  }

  test('doctor-api: five clients trickling a body get 408 after the request timeout', async () => {
    const api = await startDoctorApi(undefined, {}, undefined, { requestMs: 1000, headersMs: 1000 })
    try {
      const head =
        'POST /api/patients HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n'
      const body = Array.from({ length: 100 }, () => ' ')
      const trickles = await Promise.all(Array.from({ length: 5 }, () => raw(api.url, [head, ...body], 150)))
      for (const { reply, ms } of trickles) {
        assert.deepEqual(statusLines(reply), ['HTTP/1.1 408'], reply)
        // The timeout, checked every quarter of it.
        assert.ok(ms >= 900 && ms < 3000, `closed after ${ms} ms`)
      }
      const samples = parseMetrics(await api.sightline.metrics.render(false))
      assert.equal(
        sampleValue(samples, METRIC_HTTP_SERVER_REFUSED, {
          http_response_status_code: '408',
          error_type: 'ERR_HTTP_REQUEST_TIMEOUT',
        }),
        5,
      )
    } finally {
      await api.close()
    }
  })
})
