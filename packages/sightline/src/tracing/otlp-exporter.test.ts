import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { span } from '../../test/span-fixture.js'
import { createProtobufSpanExporter } from './main-thread-exporter.js'
import { encodeSpans } from './otlp-encode.js'
import { WorkerSpanExporter } from './otlp-exporter.js'

interface Received {
  type: string | undefined
  path: string | undefined
  tenant: unknown
  encoding: unknown
  body: Buffer
}

/** A real OTLP endpoint: records each request, answers with `answer` (200 by default). */
async function receiver(answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end()) {
  const received: Received[] = []
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({
        type: req.headers['content-type'],
        path: req.url,
        tenant: req.headers['x-tenant'],
        encoding: req.headers['content-encoding'],
        body: Buffer.concat(chunks),
      })
      answer(res)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return { received, url: `http://127.0.0.1:${port}/v1/traces`, server }
}

const exportOnce = (exporter: SpanExporter, spans = [span()]) =>
  new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve))

const THREADS = {
  main: createProtobufSpanExporter,
  worker: (config: { url: string; timeoutMillis: number }) => new WorkerSpanExporter(config),
}

for (const [thread, create] of Object.entries(THREADS)) {
  describe(`the OTLP http/protobuf exporter, sending from the ${thread} thread`, () => {
    test('POSTs the encoded batch to the endpoint with the protobuf content type', async () => {
      const { received, url, server } = await receiver()
      const exporter = create({ url, timeoutMillis: 2000 })
      const spans = [span(), span({ spanId: '2222222222222222', name: 'redis GET' })]
      const result = await exportOnce(exporter, spans)
      await exporter.shutdown()
      server.close()
      assert.equal(result.code, 0)
      assert.equal(received.length, 1)
      assert.equal(received[0]?.type, 'application/x-protobuf')
      assert.equal(received[0]?.path, '/v1/traces')
      assert.deepEqual(received[0]?.body, Buffer.from(encodeSpans(spans)))
    })

    test("honours OpenTelemetry's exporter environment: headers and gzip", async () => {
      const { received, url, server } = await receiver()
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=clinic-7'
      process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip'
      try {
        const exporter = create({ url, timeoutMillis: 2000 })
        const spans = [span()]
        const result = await exportOnce(exporter, spans)
        await exporter.shutdown()
        assert.equal(result.code, 0)
        assert.equal(received[0]?.tenant, 'clinic-7')
        assert.equal(received[0]?.encoding, 'gzip')
        assert.deepEqual(gunzipSync(received[0]?.body ?? Buffer.alloc(0)), Buffer.from(encodeSpans(spans)))
      } finally {
        delete process.env.OTEL_EXPORTER_OTLP_HEADERS
        delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION
        server.close()
      }
    })

    test('reports a failure, without throwing, when nothing listens', async () => {
      const { url, server } = await receiver()
      server.close()
      const exporter = create({ url, timeoutMillis: 500 })
      const result = await exportOnce(exporter)
      await exporter.shutdown()
      assert.equal(result.code, 1)
    })

    test('reports a failure when the endpoint refuses the batch (400)', async () => {
      const { received, url, server } = await receiver((res) => res.writeHead(400).end())
      const exporter = create({ url, timeoutMillis: 2000 })
      const result = await exportOnce(exporter)
      await exporter.shutdown()
      server.close()
      assert.equal(result.code, 1)
      assert.equal(received.length, 1, 'a 400 is not retried')
      assert.ok(result.error instanceof Error)
    })
  })
}

describe('WorkerSpanExporter', () => {
  test('batches exported one after another all arrive, in order, through one worker', async () => {
    const { received, url, server } = await receiver()
    const exporter = new WorkerSpanExporter({ url, timeoutMillis: 2000 })
    const batches = Array.from({ length: 20 }, (_, i) => [span({ spanId: `${i}`.padStart(16, 'a') })])
    const results = await Promise.all(batches.map((batch) => exportOnce(exporter, batch)))
    await exporter.shutdown()
    server.close()
    assert.deepEqual(
      results.map((r) => r.code),
      batches.map(() => 0),
    )
    assert.equal(received.length, 20)
    assert.deepEqual(
      received.map((r) => r.body).sort(Buffer.compare),
      batches.map((batch) => Buffer.from(encodeSpans(batch))).sort(Buffer.compare),
    )
  })

  test('a worker that dies fails the batch in flight; the next batch starts a new worker', async () => {
    // The first request hangs (no answer), so its batch is in flight when the worker is killed.
    let hang = true
    const { received, url, server } = await receiver((res) => {
      if (hang) hang = false
      else res.writeHead(200).end()
    })
    const exporter = new WorkerSpanExporter({ url, timeoutMillis: 10_000 })
    const first = exportOnce(exporter)
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    const worker = (exporter as unknown as { worker: { terminate(): Promise<number> } }).worker
    await worker.terminate()
    const lost = await first
    assert.equal(lost.code, 1)
    assert.match(lost.error?.message ?? '', /worker exited/)
    const next = await exportOnce(exporter)
    assert.equal(next.code, 0)
    await exporter.shutdown()
    server.closeAllConnections()
    server.close()
  })

  test('after shutdown, export fails at once', async () => {
    const exporter = new WorkerSpanExporter({ url: 'http://127.0.0.1:9/v1/traces', timeoutMillis: 500 })
    await exporter.shutdown()
    const result = await exportOnce(exporter)
    assert.equal(result.code, 1)
  })

  test('an idle worker does not keep a process alive, and a flush at exit waits for the batch in flight', async () => {
    const { received, url, server } = await receiver()
    // A separate process whose only work is one export and then shutdown: it must print the
    // result (the worker kept it alive while the batch was in flight) and then exit by itself.
    const exporterModule = fileURLToPath(new URL('./otlp-exporter.js', import.meta.url))
    const fixtureModule = fileURLToPath(new URL('../../test/span-fixture.js', import.meta.url))
    const script = `
      const { WorkerSpanExporter } = await import(${JSON.stringify(exporterModule)})
      const { span } = await import(${JSON.stringify(fixtureModule)})
      const exporter = new WorkerSpanExporter({ url: ${JSON.stringify(url)}, timeoutMillis: 2000 })
      exporter.export([span()], (result) => console.log('exported', result.code))
      await exporter.forceFlush()
      console.log('flushed')`
    const started = Date.now()
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 10_000,
    })
    server.close()
    assert.equal(stdout, 'exported 0\nflushed\n')
    assert.equal(received.length, 1)
    assert.ok(Date.now() - started < 8000, 'the process exited on its own')
  })
})
