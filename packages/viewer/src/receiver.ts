/**
 * @module viewer/receiver
 * The OTLP/HTTP receiver: `POST /v1/traces`, `/v1/logs`, `/v1/metrics`, protobuf or JSON, optionally
 * gzipped, as every OpenTelemetry SDK's OTLP/HTTP exporter sends them. Bodies are size-capped before
 * and after decompression, then handed to the ingest queue, which stores them in slices.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createGunzip } from 'node:zlib'
import type { Ingest } from './ingest.js'
import type { Batch } from './model.js'
import { normaliseLogs, normaliseMetrics, normaliseTraces } from './normalise.js'
import { decodeRequest, HttpError, type Signal } from './otlp-request.js'

export { OTLP_PATHS, type Signal } from './otlp-request.js'

/** The largest request body accepted, after decompression (the collector's default is similar). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024

/**
 * Decodes one OTLP body (already decompressed) into the viewer's model, at once and with the
 * default limits (the receiver itself stores requests in slices, through `Ingest`).
 * @example parseOtlp('traces', 'application/json', Buffer.from('{"resourceSpans":[]}'))
 */
export function parseOtlp(signal: Signal, contentType: string, body: Buffer): Batch {
  const request = decodeRequest(signal, contentType, body)
  return {
    spans: signal === 'traces' ? normaliseTraces(request) : [],
    logs: signal === 'logs' ? normaliseLogs(request) : [],
    metrics: signal === 'metrics' ? normaliseMetrics(request) : [],
  }
}

/**
 * Handles one OTLP export request, answering as the OTLP/HTTP spec asks (200 with an empty response).
 * `onFailure` hears of anything that is not the client's fault; the client gets a 500 without details.
 */
export async function receive(
  signal: Signal,
  req: IncomingMessage,
  res: ServerResponse,
  ingest: Ingest,
  onFailure: (error: unknown) => void,
): Promise<void> {
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase()
  const protobuf = contentType.includes('protobuf')
  try {
    const body = await readBody(req)
    await ingest.run(signal, contentType, body)
    res.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' })
    res.end(protobuf ? undefined : '{}')
  } catch (error) {
    if (!(error instanceof HttpError)) onFailure(error)
    const status = error instanceof HttpError ? error.status : 500
    const message = error instanceof HttpError ? error.message : 'internal error'
    if (res.headersSent) return void res.destroy()
    // OTLP exporters retry a 503, after Retry-After when it is given.
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (status === 503) headers['retry-after'] = '1'
    discardRest(req)
    res.writeHead(status, headers)
    res.end(JSON.stringify({ code: status, message }))
  }
}

/**
 * After a refusal mid-body (413 on the declared length or past the cap), how much more of the body
 * is read and dropped, and for how long, so that a client still sending (as exporters do: the whole
 * body, then the answer) can read the answer; then the connection is closed. Node itself reads a
 * refused body to its end to keep the connection alive: the gigabyte a request declared, or a
 * chunked body that never ends. Closing at once instead would lose the answer to a write error.
 */
const LINGER_BYTES = MAX_BODY_BYTES
const LINGER_MS = 10_000

function discardRest(req: IncomingMessage): void {
  if (req.complete) return
  let discarded = 0
  const close = () => req.socket?.destroy()
  const timer = setTimeout(close, LINGER_MS).unref()
  const done = () => clearTimeout(timer)
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length
    if (discarded > LINGER_BYTES) close()
  })
  req.once('end', done)
  req.once('close', done)
  // Reading now, before the answer is written, also keeps Node from dumping the body itself.
  req.resume()
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip')
    throw new HttpError(415, `unsupported content-encoding ${encoding}`)
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, 'body too large')
  // Not destroyed when the cap stops the loop: a destroyed request lets go of its connection
  // without closing it, and the rest of the body was then neither read nor refused until Node's
  // request timeout; kept, `discardRest` reads a bounded part of it, then closes.
  const source: AsyncIterable<Buffer> =
    encoding === 'gzip' ? req.pipe(createGunzip()) : req.iterator({ destroyOnReturn: false })
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of source) {
      size += chunk.length
      // Counted after decompression too: a small gzip bomb must not fill the memory.
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large')
      chunks.push(chunk)
    }
  } catch (error) {
    req.resume()
    if (error instanceof HttpError) throw error
    throw new HttpError(400, `unreadable body: ${(error as Error).message}`)
  }
  return Buffer.concat(chunks)
}
