/**
 * An outgoing call's client span lasts until the response's body is in, not until its headers: a
 * downstream that streams its body slowly (headers at once, then chunks 300 ms apart) makes a span
 * at least that long, through fetch (undici) and node:http alike; a body abandoned midway ends the
 * span with an error.
 */
import assert from 'node:assert/strict'
import { createServer, get, type Server } from 'node:http'
import { after, before, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { createSightline, type Sightline } from 'sightline'
import { sightlineFastify } from 'sightline/fastify'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js'
import { close, listen } from '../helpers/server.js'

/** Both clients on every Node: node:http is seen before its headers are built (internals/node). */
const CLIENTS = ['fetch', 'http'] as const
const CHUNK_GAP_MS = 300
const CHUNKS = 3
/** How long the downstream takes to send its body after its headers. */
const BODY_MS = CHUNK_GAP_MS * (CHUNKS - 1)

let receiver: OtlpReceiver
let downstream: Server
let downstreamUrl: string
let sightline: Sightline
let tracing: Tracing
let app: FastifyInstance
let url: string
const logs = new LogCapture()

before(async () => {
  receiver = await new OtlpReceiver().start()
  downstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.flushHeaders()
    let sent = 0
    const send = () => {
      sent++
      if (sent === CHUNKS) res.end(`chunk ${sent}\n`)
      else {
        res.write(`chunk ${sent}\n`)
        setTimeout(send, CHUNK_GAP_MS)
      }
    }
    send()
  })
  downstreamUrl = await listen(downstream)
  sightline = createSightline({
    service: 'slow-bodies',
    logFormat: 'json',
    logDestination: logs,
    shutdown: { signals: false },
  })
  tracing = await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` })
  app = Fastify({ logger: false })
  await app.register(sightlineFastify, { sightline })
  app.get('/fetch', async () => (await fetch(`${downstreamUrl}/slow`)).text())
  app.get('/http', () => {
    return new Promise<string>((resolve, reject) => {
      get(`${downstreamUrl}/slow`, (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () => resolve(body))
      }).on('error', reject)
    })
  })
  app.get('/fetch-abandoned', async () => {
    const response = await fetch(`${downstreamUrl}/slow`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.cancel()
    return 'enough'
  })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
})
after(async () => {
  await app.close()
  await tracing.shutdown()
  await sightline.close()
  await receiver.close()
  await close(downstream)
})

/** The client span of the request `requestId` made, once exported. */
async function clientSpanOf(requestId: string): Promise<ReceivedSpan & Record<string, unknown>> {
  const access = await logs.waitFor((l) => l.msg === 'request completed' && l.request_id === requestId, 5000)
  await tracing.forceFlush()
  const span = receiver.spans.find((s) => s.traceId === access.trace_id && s.kind === 3)
  assert.ok(span, receiver.spans.map((s) => s.name).join(', '))
  return span as ReceivedSpan & Record<string, unknown>
}

function durationMs(span: Record<string, unknown>): number {
  return Number(BigInt(String(span.endTimeUnixNano)) - BigInt(String(span.startTimeUnixNano))) / 1e6
}

for (const client of CLIENTS) {
  test(`a ${client} client span covers the whole body, streamed over ${BODY_MS} ms`, async () => {
    const response = await fetch(`${url}/${client}`, { headers: { 'x-request-id': `slow-body-${client}` } })
    assert.equal(await response.text(), 'chunk 1\nchunk 2\nchunk 3\n')
    const span = await clientSpanOf(`slow-body-${client}`)
    assert.equal(span.attributes['http.response.status_code'], 200)
    assert.ok(durationMs(span) >= BODY_MS - 5, `span lasted ${durationMs(span)} ms, the body ${BODY_MS} ms`)
    assert.notEqual(span.status?.code, 2)
  })
}

test('a fetch whose body is cancelled midway ends its span then, as an error', async () => {
  const response = await fetch(`${url}/fetch-abandoned`, { headers: { 'x-request-id': 'abandoned-body' } })
  assert.equal(await response.text(), 'enough')
  const span = await clientSpanOf('abandoned-body')
  assert.equal(span.attributes['http.response.status_code'], 200)
  assert.equal(span.status?.code, 2, 'ERROR')
  assert.equal(span.attributes['error.type'], 'AbortError')
  assert.ok(durationMs(span) < BODY_MS, `span lasted ${durationMs(span)} ms`)
})
