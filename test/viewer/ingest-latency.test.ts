/**
 * @module test/viewer/ingest-latency
 * A 16 MB OTLP request does not stall the viewer: the UI's API is answered while it is ingested.
 * Decoding and storing it in one go used to block the event loop for a second here (five in the
 * report), and every page waited. The viewer runs in its own process (the real `sightline viewer`),
 * so this process's clock keeps running while the viewer works.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { encodeSpan, keyValue, traceRequest } from './otlp-proto.js'

const BIN = fileURLToPath(new URL('../../../packages/sightline/dist/src/cli/main.js', import.meta.url))
/** Generous, for slow CI machines; the blocking ingest took about a second on a fast one. */
const MAX_API_MS = 1000
const SPANS = 10_500

let child: ChildProcess
let base = ''

before(async () => {
  child = spawn(process.execPath, [BIN, 'viewer', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.setEncoding('utf8')
  base = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`viewer exited ${code}: ${out}`)))
  })
})

after(() => {
  child.kill('SIGTERM')
})

/** 10,500 server spans of 100 attributes each: just under the 16 MiB body limit. */
function bigBody(): Buffer {
  const attributes = Buffer.concat([
    keyValue('http.route', '/items/:id'),
    ...Array.from({ length: 99 }, (_, i) => keyValue(`attr.${i}`, i)),
  ])
  const startNs = BigInt(Date.now()) * 1_000_000n
  const spans = Array.from({ length: SPANS }, () =>
    encodeSpan({
      traceId: randomBytes(16),
      spanId: randomBytes(8),
      name: 'GET /items/:id',
      kind: 2,
      startNs,
      endNs: startNs + 3_000_000n,
      attributes,
    }),
  )
  return traceRequest('bulk', spans)
}

test('the API answers within a second while a 16 MB protobuf request is ingested', async () => {
  const body = bigBody()
  assert.ok(body.length > 15 * 1024 * 1024 && body.length <= 16 * 1024 * 1024, `${body.length} bytes`)
  await (await fetch(`${base}/api/traces?limit=1`)).arrayBuffer()

  let ingested = false
  const posted = fetch(`${base}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array(body),
  }).then(async (response) => {
    await response.arrayBuffer()
    ingested = true
    return response.status
  })
  const latencies: number[] = []
  while (!ingested) {
    const started = performance.now()
    await (await fetch(`${base}/api/traces?limit=5`)).arrayBuffer()
    latencies.push(performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.equal(await posted, 200)
  const slowest = Math.max(...latencies)
  assert.ok(slowest < MAX_API_MS, `slowest API answer during ingest: ${slowest.toFixed(0)} ms`)
  const stats = (await (await fetch(`${base}/api/stats`)).json()) as { counters: { spans: number } }
  assert.equal(stats.counters.spans, SPANS)
})
