/**
 * Propagation through real processes under the zero-code launcher: what an incoming request carries
 * (traceparent, tracestate, baggage) reaches the outgoing calls the app makes, sampled or not
 * (W3C Trace Context Level 2: "Vendors receiving a tracestate request header MUST send it to
 * outgoing requests"), the random trace-id flag is kept, and the app reads the baggage through
 * OpenTelemetry's API. The callbacks land on a server in this process, which records their headers.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`
const TRACE_ID = '12345678901234567890123456789012'
const PARENT_ID = '1234567890123456'
/** Both clients on every Node: node:http is seen before its headers are built (internals/node). */
const CLIENTS = ['fetch', 'http']

let callbacks: Server
let callbackUrl: string
const received = new Map<string, IncomingHttpHeaders>()

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function start(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const probe = createServer()
  const port = await listen(probe)
  await new Promise((resolve) => probe.close(resolve))
  const child = spawn(process.execPath, ['--import', REGISTER, `${ROOT}test/fixtures/w3c/${script}`], {
    env: {
      ...process.env,
      PORT: String(port),
      SIGHTLINE_OPS_PORT: '0',
      LOG_LEVEL: 'warn',
      SIGHTLINE_SHUTDOWN_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}/`
  for (let i = 0; ; i++) {
    try {
      await (
        await fetch(url, {
          method: script === 'baggage-app.mjs' ? 'GET' : 'POST',
          body: script === 'baggage-app.mjs' ? undefined : '[]',
        })
      ).arrayBuffer()
      return { child, url }
    } catch (error) {
      if (i > 150) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/**
 * POSTs to the app with `headers` (an array value is sent as that many fields) asking for one
 * callback, and answers the headers the callback carried.
 */
function call(app: string, headers: Record<string, string | string[]>): Promise<IncomingHttpHeaders> {
  const id = String(received.size + Math.random())
  const body = JSON.stringify([{ url: `${callbackUrl}${id}`, arguments: [] }])
  return new Promise((resolve, reject) => {
    const outgoing = request(
      app,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } },
      (response) => {
        response.resume()
        response.on('end', () => {
          const headersOfCallback = received.get(id)
          if (headersOfCallback === undefined) reject(new Error(`no callback (status ${response.statusCode})`))
          else resolve(headersOfCallback)
        })
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

const apps: ChildProcess[] = []
before(async () => {
  callbacks = createServer((req, res) => {
    received.set(req.url!.slice(1), req.headers)
    req.resume()
    res.end('null')
  })
  callbackUrl = `http://127.0.0.1:${await listen(callbacks)}/`
})
after(async () => {
  for (const child of apps) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  callbacks.close()
})

for (const client of CLIENTS) {
  describe(`outgoing ${client} calls`, () => {
    let unsampled: string
    let sampled: string
    before(async () => {
      const [never, always] = await Promise.all([
        start('http-service.mjs', {
          W3C_CLIENT: client,
          OTEL_TRACES_SAMPLER_ARG: '0',
          OTEL_TRACES_SAMPLER: 'traceidratio',
        }),
        start('http-service.mjs', { W3C_CLIENT: client, OTEL_TRACES_SAMPLER_ARG: '1' }),
      ])
      apps.push(never.child, always.child)
      unsampled = never.url
      sampled = always.url
    })

    test('an unsampled request forwards tracestate and baggage, with the trace id and a new parent-id', async () => {
      const headers = await call(unsampled, {
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
        baggage: 'userId=alice, serverNode = DF%2028',
      })
      const [version, traceId, parentId, flags] = String(headers.traceparent).split('-')
      assert.deepEqual([version, traceId, flags], ['00', TRACE_ID, '00'])
      assert.notEqual(parentId, PARENT_ID)
      assert.equal(headers.tracestate, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')
      assert.equal(headers.baggage, 'userId=alice,serverNode=DF%2028')
    })

    test('several tracestate fields are combined in order; several traceparent fields restart the trace', async () => {
      const combined = await call(unsampled, {
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`,
        tracestate: ['foo=1,bar=2', 'rojo=1', ''],
      })
      assert.equal(combined.tracestate, 'foo=1,bar=2,rojo=1')
      const duplicated = await call(unsampled, {
        traceparent: [`00-${TRACE_ID}-${PARENT_ID}-01`, `00-${TRACE_ID.replace('12', '21')}-${PARENT_ID}-01`],
        tracestate: 'foo=1',
      })
      assert.notEqual(String(duplicated.traceparent).split('-')[1], TRACE_ID)
      assert.equal(duplicated.tracestate, undefined)
    })

    test('an invalid tracestate is discarded whole; an empty one is never sent', async () => {
      const invalid = await call(sampled, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'foo=1,Bar=2' })
      assert.equal(invalid.tracestate, undefined)
      const empty = await call(sampled, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: ' , ' })
      assert.equal('tracestate' in empty, false)
    })

    test('the random trace-id flag is kept for the same trace, and set on traces Sightline starts', async () => {
      const flags = async (app: string, traceparent?: string) =>
        String((await call(app, traceparent === undefined ? {} : { traceparent })).traceparent).split('-')[3]
      assert.equal(await flags(unsampled, `00-${TRACE_ID}-${PARENT_ID}-02`), '02')
      assert.equal(await flags(unsampled, `00-${TRACE_ID}-${PARENT_ID}-00`), '00')
      assert.equal(await flags(unsampled), '02')
      assert.equal(await flags(sampled, `00-${TRACE_ID}-${PARENT_ID}-03`), '03')
      assert.equal(await flags(sampled, `00-${TRACE_ID}-${PARENT_ID}-01`), '01')
      assert.equal(await flags(sampled, `cc-${TRACE_ID}-${PARENT_ID}-03-future`), '03')
      assert.equal(await flags(sampled), '03')
    })

    test('baggage alone (no traceparent) is forwarded on a new trace', async () => {
      const headers = await call(sampled, { baggage: 'tier=gold', tracestate: 'foo=1' })
      assert.equal(headers.baggage, 'tier=gold')
      assert.equal(headers.tracestate, undefined)
      assert.notEqual(String(headers.traceparent).split('-')[1], TRACE_ID)
    })
  })
}

test("the application reads the request's baggage through OpenTelemetry's API", async () => {
  const { child, url } = await start('baggage-app.mjs', { OTEL_TRACES_SAMPLER_ARG: '0' })
  apps.push(child)
  const read = async (headers: Record<string, string>) => (await fetch(url, { headers })).json()
  assert.deepEqual(await read({ baggage: 'userId=alice,serverNode=DF%2028' }), { userId: 'alice', serverNode: 'DF 28' })
  assert.deepEqual(await read({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`, baggage: 'a=1,bad member,b=2' }), {
    a: '1',
    b: '2',
  })
  assert.deepEqual(await read({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'a=1' }), { a: '1' })
  assert.deepEqual(await read({}), {})
})
