/**
 * @module viewer/otlp-request
 * One OTLP body (already decompressed) to the OTLP/JSON object shape: `JSON.parse`, or the
 * protobuf decoder's framing pass (the records themselves are decoded as they are iterated).
 * What cannot be read at all is an `HttpError` the receiver answers with.
 */
import { decode, LOGS_REQUEST, METRICS_REQUEST, TRACES_REQUEST } from './protobuf.js'

export const OTLP_PATHS = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' } as const
export type Signal = (typeof OTLP_PATHS)[keyof typeof OTLP_PATHS]

const SCHEMAS = { traces: TRACES_REQUEST, logs: LOGS_REQUEST, metrics: METRICS_REQUEST }

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * @example decodeRequest('traces', 'application/json', Buffer.from('{"resourceSpans":[]}'))
 */
export function decodeRequest(signal: Signal, contentType: string, body: Buffer): Record<string, unknown> {
  if (contentType.startsWith('application/x-protobuf') || contentType.startsWith('application/protobuf')) {
    try {
      return decode(body, SCHEMAS[signal])
    } catch (error) {
      throw new HttpError(400, `invalid protobuf: ${(error as Error).message}`)
    }
  }
  if (!contentType.startsWith('application/json')) {
    throw new HttpError(415, 'send application/x-protobuf or application/json')
  }
  let request: unknown
  try {
    request = JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError(400, 'invalid JSON')
  }
  if (request === null || typeof request !== 'object') throw new HttpError(400, 'expected a JSON object')
  return request as Record<string, unknown>
}
