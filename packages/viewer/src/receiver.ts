/**
 * @module viewer/receiver
 * The OTLP/HTTP receiver: `POST /v1/traces`, `/v1/logs`, `/v1/metrics`, protobuf or JSON, optionally
 * gzipped, as every OpenTelemetry SDK's OTLP/HTTP exporter sends them. Bodies are size-capped before
 * and after decompression.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createGunzip } from 'node:zlib'
import type { Batch } from './model.js'
import { normaliseLogs, normaliseMetrics, normaliseTraces } from './normalise.js'
import { decode, LOGS_REQUEST, METRICS_REQUEST, TRACES_REQUEST } from './protobuf.js'
import type { Store } from './store.js'

/** The largest request body accepted, after decompression (the collector's default is similar). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024

export const OTLP_PATHS = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' } as const
export type Signal = (typeof OTLP_PATHS)[keyof typeof OTLP_PATHS]

const SCHEMAS = { traces: TRACES_REQUEST, logs: LOGS_REQUEST, metrics: METRICS_REQUEST }

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Decodes one OTLP body (already decompressed) into the viewer's model.
 * @example parseOtlp('traces', 'application/json', Buffer.from('{"resourceSpans":[]}'))
 */
export function parseOtlp(signal: Signal, contentType: string, body: Buffer): Batch {
  let request: Record<string, unknown>
  if (contentType.startsWith('application/x-protobuf') || contentType.startsWith('application/protobuf')) {
    try {
      request = decode(body, SCHEMAS[signal])
    } catch (error) {
      throw new HttpError(400, `invalid protobuf: ${(error as Error).message}`)
    }
  } else if (contentType.startsWith('application/json')) {
    try {
      request = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    } catch {
      throw new HttpError(400, 'invalid JSON')
    }
    if (request === null || typeof request !== 'object') throw new HttpError(400, 'expected a JSON object')
  } else {
    throw new HttpError(415, 'send application/x-protobuf or application/json')
  }
  return {
    spans: signal === 'traces' ? normaliseTraces(request) : [],
    logs: signal === 'logs' ? normaliseLogs(request) : [],
    metrics: signal === 'metrics' ? normaliseMetrics(request) : [],
  }
}

/** Handles one OTLP export request, answering as the OTLP/HTTP spec asks (200 with an empty response). */
export async function receive(signal: Signal, req: IncomingMessage, res: ServerResponse, store: Store): Promise<void> {
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase()
  const protobuf = contentType.includes('protobuf')
  try {
    const body = await readBody(req)
    const batch = parseOtlp(signal, contentType, body)
    store.addSpans(batch.spans)
    store.addLogs(batch.logs)
    store.addMetricPoints(batch.metrics)
    res.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' })
    res.end(protobuf ? undefined : '{}')
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 400
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ code: status, message: (error as Error).message }))
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip')
    throw new HttpError(415, `unsupported content-encoding ${encoding}`)
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, 'body too large')
  const source: AsyncIterable<Buffer> = encoding === 'gzip' ? req.pipe(createGunzip()) : req
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
