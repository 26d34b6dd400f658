/**
 * @module context
 * The per-request context, carried through the async flow by one AsyncLocalStorage
 * (one store entered per request, nothing nested: see docs/performance.md for what it costs).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { enterWithEndsWithCallback } from '../../internals/node.js'
import type { ErrorFingerprint } from '../error-groups/fingerprint.js'
import type { RouteState } from './routes.js'

/** What Sightline knows about the request in flight. */
export class RequestContext {
  readonly requestId: string
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly start: number
  /**
   * `req.headers`, read once: it is an accessor on Node's `IncomingMessage` (~170 instructions a
   * read under callgrind), and the id, the access line and the server span each need it.
   */
  readonly headers: IncomingHttpHeaders
  /** Set by the adapter once the framework has matched a route. */
  route: RouteState | undefined = undefined
  /**
   * The response's `content-length` as the framework passed it to `writeHead` in a headers object
   * (Fastify's way): such headers never reach `getHeader`.
   */
  responseBytes: unknown = undefined
  /** An error the framework reported for this request, logged on the access line. */
  error: unknown = undefined
  /** The fingerprint of `error`, made at the end of a 5xx request for its access line and span. */
  fingerprint: ErrorFingerprint | undefined = undefined
  /** Log fields merged into every line written during the request; built on first use. */
  logFields: Record<string, string> | undefined = undefined
  /** Trace identity of the request's server span, set by the tracing module when one exists. */
  traceId: string | undefined = undefined
  spanId: string | undefined = undefined
  traceFlags: string | undefined = undefined
  /** The server span itself (an OpenTelemetry `Span`), owned by the tracing module. */
  span: unknown = undefined
  /** The tracing instance of the Sightline serving the request (tracing/instance), when tracing is on. */
  tracing: unknown = undefined
  /** True once the instance's shutdown began draining: the response then closes its connection. */
  isDraining: () => boolean = notDraining
  /**
   * The request's OpenTelemetry context, built by the tracing module on first use. A field rather
   * than a property added later, so every context keeps one shape (sampled or not).
   */
  otelContext: unknown = undefined

  constructor(
    requestId: string,
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    headers: IncomingHttpHeaders = req.headers,
  ) {
    this.requestId = requestId
    this.req = req
    this.res = res
    this.start = start
    this.headers = headers
  }

  /** The fields every log line of this request carries. */
  buildLogFields(): Record<string, string> {
    const fields: Record<string, string> =
      this.traceId === undefined
        ? { request_id: this.requestId }
        : {
            request_id: this.requestId,
            trace_id: this.traceId,
            span_id: this.spanId as string,
            trace_flags: this.traceFlags as string,
          }
    this.logFields = fields
    return fields
  }
}

export const storage = new AsyncLocalStorage<RequestContext>()

const kErrorContext = Symbol('sightline.errorContext')

/**
 * Marks an error thrown synchronously out of a request's listener with its request: `storage.run`
 * has left the context by the time the error reaches `uncaughtException` (core/lifecycle/crash).
 */
export function markErrorContext(error: unknown, context: RequestContext): void {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return
  if (Object.hasOwn(error, kErrorContext)) return
  Object.defineProperty(error, kErrorContext, { value: context, configurable: true })
}

/** The request an error was marked with (`markErrorContext`), if any. */
export function errorContext(error: unknown): RequestContext | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  return (error as { [kErrorContext]?: RequestContext })[kErrorContext]
}

function notDraining(): boolean {
  return false
}

/**
 * True when `enterWith` keeps its store in an async context frame (Node 24's default), which ends
 * with the callback that entered it: the HTTP parser calls each request's listener in a callback
 * of its own, so a request entered there needs no `run` and no frame made again to leave it
 * (`run` builds two frames, each a copy of a Map). Found by behaviour, not by version: where
 * `enterWith` marks the current async resource instead (Node 20 and 22's async_hooks storage),
 * the store outlives the callback (the connection's parser would carry it into the next request),
 * so `run` stays.
 */
export const ENTER_ENDS_WITH_CALLBACK = enterWithEndsWithCallback(storage, {} as RequestContext)

/** The request id of the request in flight, or `undefined` outside a request. */
export function requestId(): string | undefined {
  return storage.getStore()?.requestId
}

/** The context of the request in flight, or `undefined` outside a request. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore()
}
