/**
 * @module viewer/grpc
 * The OTLP/gRPC receiver (port 4317 in OTLP's defaults), on `node:http2` without a gRPC library:
 * the three unary `Export` methods of the collector services, one length-prefixed protobuf message
 * each (gzip when the client sends `grpc-encoding: gzip`), answered with an empty response message
 * and `grpc-status` in the trailers. Bodies go through the same caps, decoder, ingest queue and
 * store limits as OTLP/HTTP; errors map to the gRPC codes OTLP exporters act on (14 UNAVAILABLE is
 * retried, as a 503 is over HTTP).
 */
import { timingSafeEqual } from 'node:crypto'
import {
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2'
import type { AddressInfo } from 'node:net'
import { gunzip } from 'node:zlib'
import type { Ingest } from './ingest.js'
import { HttpError, type Signal } from './otlp-request.js'
import { MAX_BODY_BYTES } from './receiver.js'

export const GRPC_PATHS: Record<string, Signal> = {
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'traces',
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': 'logs',
  '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export': 'metrics',
}

/** gRPC status codes used here. */
const OK = 0
const INVALID_ARGUMENT = 3
const RESOURCE_EXHAUSTED = 8
const UNIMPLEMENTED = 12
const INTERNAL = 13
const UNAVAILABLE = 14
const UNAUTHENTICATED = 16

/** An empty `Export…ServiceResponse`: uncompressed flag, zero length. */
const EMPTY_RESPONSE = Buffer.alloc(5)

class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

function codeOf(error: unknown): { code: number; message: string } {
  if (error instanceof GrpcError) return { code: error.code, message: error.message }
  if (error instanceof HttpError) {
    const code =
      error.status === 503
        ? UNAVAILABLE
        : error.status === 413
          ? RESOURCE_EXHAUSTED
          : error.status === 415
            ? UNIMPLEMENTED
            : INVALID_ARGUMENT
    return { code, message: error.message }
  }
  return { code: INTERNAL, message: 'internal error' }
}

/**
 * @example
 * const grpc = new GrpcReceiver(ingest, undefined, onFailure); await grpc.listen(4317, '127.0.0.1')
 */
export class GrpcReceiver {
  readonly server: Http2Server
  private readonly sessions = new Set<Http2Session>()

  constructor(
    private readonly ingest: Ingest,
    private readonly token: Buffer | undefined,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.server = createServer({ maxSessionMemory: 64 })
    this.server.on('session', (session) => {
      this.sessions.add(session)
      session.once('close', () => this.sessions.delete(session))
      session.on('error', () => undefined)
    })
    this.server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined)
      this.handle(stream, headers).catch((error: unknown) => {
        this.onFailure(error)
        if (!stream.destroyed) stream.close()
      })
    })
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  /** `http://host:port`, the value for `OTEL_EXPORTER_OTLP_ENDPOINT` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`. */
  get url(): string {
    const address = this.server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}`
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private async handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    try {
      const signal = GRPC_PATHS[String(headers[':path'] ?? '')]
      if (signal === undefined) throw new GrpcError(UNIMPLEMENTED, 'unknown method')
      if (headers[':method'] !== 'POST') throw new GrpcError(UNIMPLEMENTED, 'POST only')
      if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
        throw new GrpcError(INVALID_ARGUMENT, 'content-type must be application/grpc')
      }
      if (this.token !== undefined && !this.authorised(headers)) {
        throw new GrpcError(UNAUTHENTICATED, 'token required: send "authorization: Bearer <token>" metadata')
      }
      const message = await this.readMessage(stream, String(headers['grpc-encoding'] ?? 'identity').toLowerCase())
      await this.ingest.run(signal, 'application/x-protobuf', message)
      if (stream.destroyed) return
      stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto' }, { waitForTrailers: true })
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(OK) }))
      stream.end(EMPTY_RESPONSE)
    } catch (error) {
      const { code, message } = codeOf(error)
      if (code === INTERNAL) this.onFailure(error)
      if (stream.destroyed || stream.headersSent) return
      // Trailers-only answer: the status in the only HEADERS frame.
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc+proto',
          'grpc-status': String(code),
          'grpc-message': encodeURIComponent(message),
        },
        { endStream: true },
      )
      // The rest of a refused request is not wanted.
      stream.resume()
    }
  }

  private authorised(headers: IncomingHttpHeaders): boolean {
    const header = String(headers.authorization ?? '')
    if (!header.startsWith('Bearer ')) return false
    const given = Buffer.from(header.slice(7))
    return given.length === this.token!.length && timingSafeEqual(given, this.token!)
  }

  /** The request's one message: 5-byte prefix (compressed flag, big-endian length), then the bytes. */
  private async readMessage(stream: ServerHttp2Stream, encoding: string): Promise<Buffer> {
    const chunks: Buffer[] = []
    // Read by events, not `for await`: leaving that loop early destroys the stream, and the client
    // would get a reset instead of the status. Past the cap the rest is read and dropped.
    await new Promise<void>((resolve, reject) => {
      let size = 0
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (size <= MAX_BODY_BYTES + 5) return void chunks.push(chunk)
        stream.off('data', onData)
        stream.resume()
        chunks.length = 0
        reject(new GrpcError(RESOURCE_EXHAUSTED, 'message too large'))
      }
      stream.on('data', onData)
      stream.once('end', resolve)
      stream.once('error', reject)
      stream.once('close', resolve)
    })
    const body = Buffer.concat(chunks)
    if (body.length < 5) throw new GrpcError(INVALID_ARGUMENT, 'no message')
    const compressed = body[0] === 1
    const length = body.readUInt32BE(1)
    if (length !== body.length - 5) throw new GrpcError(INVALID_ARGUMENT, 'one unary message expected')
    const message = body.subarray(5)
    if (!compressed) return message
    if (encoding !== 'gzip') throw new GrpcError(UNIMPLEMENTED, `unsupported grpc-encoding ${encoding}`)
    return await new Promise<Buffer>((resolve, reject) =>
      // Capped after decompression too: a small gzip bomb must not fill the memory.
      gunzip(message, { maxOutputLength: MAX_BODY_BYTES }, (error, result) => {
        if (error === null) return resolve(result)
        const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        reject(new GrpcError(tooLarge ? RESOURCE_EXHAUSTED : INVALID_ARGUMENT, `unreadable message: ${error.message}`))
      }),
    )
  }
}
