/**
 * @module test/foundation/body-errors
 * A body the framework cannot parse never reaches a log line or a span: Node's JSON.parse error
 * quotes the text (`"password":LEAKPW9} is not valid JSON`), body-parser keeps it in `err.body`.
 * Client errors carry no stack (a 404 line was ~1.4 KB). Express (with express.json() mounted app-wide,
 * and the size of a 404 line), real sockets, exported spans read back from an OTLP receiver; the
 * notifier's reply is checked too. The same case on every adapter, a body parsed as each framework
 * does, is the conformance suite's (test/conformance/requests.test.ts).
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, describe, test } from 'node:test'
import { buildNotifier } from '@sightline/notifier/app.js'
import express from 'express'
import { createSightline, type Sightline } from 'sightline'
import { sightlineExpress, sightlineExpressErrors } from 'sightline/express'
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
