/**
 * @module refused
 * Requests Node's HTTP parser refuses never reach a request listener, so the pipeline never sees
 * them: a malformed request line or header (400), a header section over `maxHeaderSize` (431), a
 * request not received within `headersTimeout`/`requestTimeout` (408). They are counted here, from
 * the server's `clientError` event, by the status the client is sent and the parser's error code.
 *
 * A `clientError` listener takes over the reply from Node. When Sightline's is the only one, it
 * answers exactly as Node does without listeners; when the application or its framework has its
 * own (Fastify does), that one answers and Sightline only counts.
 */
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { LABEL_HTTP_STATUS, METRIC_HTTP_SERVER_REFUSED } from '../constants.js'
import type { Counter } from '../metrics/counter.js'
import type { Registry } from '../metrics/registry.js'

export const LABEL_ERROR_TYPE = 'error_type'

/** What Node replies for each refusal (lib/_http_server.js), by the status it carries. */
const REPLIES: Record<number, string> = {
  400: 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
  408: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  413: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  431: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
}

/** The status Node (and Fastify) give a refusal, or undefined for a connection error (a reset). */
export function refusalStatus(code: string | undefined): number | undefined {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408
  if (code === 'HPE_HEADER_OVERFLOW') return 431
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413
  // llhttp's codes: a fixed set, so the label stays bounded.
  if (code?.startsWith('HPE_')) return 400
  return undefined
}

export class RefusedRequests {
  private readonly counter: Counter
  private readonly watched = new WeakSet<Server>()

  constructor(registry: Registry) {
    this.counter = registry.counter({
      name: METRIC_HTTP_SERVER_REFUSED,
      help: "HTTP requests Node's parser refused before any handler ran (malformed, headers too large, too slow).",
      labelNames: [LABEL_HTTP_STATUS, LABEL_ERROR_TYPE],
    })
  }

  /** Counts `server`'s refused requests from now on. Idempotent. */
  watch(server: Server): void {
    if (this.watched.has(server)) return
    this.watched.add(server)
    const counter = this.counter
    server.on('clientError', function onClientError(this: Server, error: NodeJS.ErrnoException, socket: Duplex) {
      const status = refusalStatus(error.code)
      if (status !== undefined) counter.inc({ [LABEL_HTTP_STATUS]: status, [LABEL_ERROR_TYPE]: error.code as string })
      // Someone else answers: Sightline only counted.
      if (this.listenerCount('clientError') > 1) return
      if (socket.writable && (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0) {
        socket.write(REPLIES[status ?? 400] as string)
      }
      socket.destroy(error)
    })
  }
}
