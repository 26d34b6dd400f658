/**
 * @module test/viewer/grpc.test
 * The OTLP/gRPC receiver: the real OpenTelemetry JS gRPC trace exporter (grpc-js underneath), plain
 * and gzipped, sends to it and the traces are stored as over HTTP; a raw HTTP/2 client sees the
 * gRPC statuses for an unknown method, a message that is not protobuf, and a missing token.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:http2'
import { after, before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Viewer } from '@sightline/viewer'
import { getJson, simulateRequest } from './helpers.js'

function grpcTracer(url: string, service: string, compression: CompressionAlgorithm) {
  const exporter = new OTLPTraceExporter({ url, compression })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  return { provider, tracer: provider.getTracer('grpc-test') }
}

/** One raw unary call: the response headers and trailers merged. */
async function call(url: string, path: string, message: Buffer, headers: Record<string, string> = {}) {
  const client = connect(url)
  try {
    const stream = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', ...headers })
    const frame = Buffer.alloc(5 + message.length)
    frame.writeUInt32BE(message.length, 1)
    message.copy(frame, 5)
    stream.end(frame)
    const result: Record<string, string> = {}
    stream.on('response', (h) => Object.assign(result, h))
    stream.on('trailers', (h) => Object.assign(result, h))
    stream.resume()
    await new Promise((resolve) => stream.once('close', resolve))
    return result
  } finally {
    client.close()
  }
}

/** One call whose message is sent gzipped (compressed flag set, `grpc-encoding: gzip`). */
async function callCompressed(url: string, path: string, gzipped: Buffer) {
  const client = connect(url)
  try {
    const stream = client.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      'grpc-encoding': 'gzip',
    })
    const frame = Buffer.alloc(5 + gzipped.length)
    frame[0] = 1
    frame.writeUInt32BE(gzipped.length, 1)
    gzipped.copy(frame, 5)
    stream.end(frame)
    const result: Record<string, string> = {}
    stream.on('response', (h) => Object.assign(result, h))
    stream.on('trailers', (h) => Object.assign(result, h))
    stream.resume()
    await new Promise((resolve) => stream.once('close', resolve))
    return result
  } finally {
    client.close()
  }
}

const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export'

describe('viewer OTLP/gRPC receiver', () => {
  const viewer = new Viewer({ port: 0, grpcPort: 0 })
  const guarded = new Viewer({ port: 0, grpcPort: 0, token: 'grpc-test-token-0123456789' })
  let base = ''
  let grpc = ''

  before(async () => {
    base = await viewer.listen()
    grpc = viewer.grpcUrl!
    await guarded.listen()
  })
  after(async () => {
    await viewer.close()
    await guarded.close()
  })

  it('stores traces the real OTel gRPC exporter sends, plain and gzipped', async () => {
    const plain = grpcTracer(grpc, 'grpc-plain', CompressionAlgorithm.NONE)
    const gzipped = grpcTracer(grpc, 'grpc-gzip', CompressionAlgorithm.GZIP)
    const plainId = simulateRequest(plain, { route: '/grpc/plain', status: 200, requestId: 'g-1' })
    const gzipId = simulateRequest(gzipped, { route: '/grpc/gzip', status: 503, requestId: 'g-2' })
    await Promise.all([plain.provider.shutdown(), gzipped.provider.shutdown()])
    const one = await getJson<{ spans: { name: string; service: string }[]; httpStatus: number }>(
      `${base}/api/traces/${plainId}`,
    )
    assert.deepEqual(one.spans.map((s) => s.name).sort(), ['GET /grpc/plain', 'db.query'])
    assert.equal(one.spans[0]!.service, 'grpc-plain')
    const two = await getJson<{ httpStatus: number; error: boolean }>(`${base}/api/traces/${gzipId}`)
    assert.equal(two.httpStatus, 503)
    assert.equal(two.error, true)
  })

  it('answers an unknown method with UNIMPLEMENTED and a message that is not protobuf with INVALID_ARGUMENT', async () => {
    const unknown = await call(grpc, '/opentelemetry.proto.collector.trace.v1.TraceService/Nope', Buffer.alloc(0))
    assert.equal(unknown['grpc-status'], '12')
    const garbage = await call(grpc, TRACE_PATH, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))
    assert.equal(garbage['grpc-status'], '3')
    const empty = await call(grpc, TRACE_PATH, Buffer.alloc(0))
    assert.equal(empty['grpc-status'], '0')
  })

  it('refuses a message over 16 MB and a gzip bomb with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const big = await call(grpc, TRACE_PATH, Buffer.alloc(16 * 1024 * 1024 + 10))
    assert.equal(big['grpc-status'], '8')
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024))
    const frame = await callCompressed(grpc, TRACE_PATH, bomb)
    assert.equal(frame['grpc-status'], '8')
    assert.equal((await call(grpc, TRACE_PATH, Buffer.alloc(0)))['grpc-status'], '0')
  })

  it('wants the token as bearer metadata when the viewer has one', async () => {
    const url = guarded.grpcUrl!
    assert.equal((await call(url, TRACE_PATH, Buffer.alloc(0)))['grpc-status'], '16')
    const ok = await call(url, TRACE_PATH, Buffer.alloc(0), { authorization: 'Bearer grpc-test-token-0123456789' })
    assert.equal(ok['grpc-status'], '0')
  })
})
