/**
 * @module pipeline
 * The per-request hot path, shared by every adapter: request id, context, and at the end of the
 * response the RED metrics, the access-log line and the server span. Adapters only tell it where a
 * request starts and which route it matched.
 *
 * What runs per request, in order: ops-endpoint check (a few string comparisons), id
 * accept-or-generate, one context object, a shared `writeHead` that adds the id header and a
 * shared `emit` that sees `close` (shared functions, no closure), one `AsyncLocalStorage` store
 * entered; at close, one histogram observation on a cached series and one log line.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
// Imported, not the global: `globalThis.performance` (and `Buffer`, `process`) is an accessor in
// Node, and each read calls its getter (~300 instructions under callgrind); a binding is a load.
import { performance } from 'node:perf_hooks'
import { hasOutgoingHeader, replaceResponseHead, responseHead, sendsStringHead } from '../../internals/node.js'
import { http } from '../builtins.js'
import { HEADER_CONTENT_LENGTH, HEADER_REQUEST_ID, STATUS_CLIENT_CLOSED } from '../constants.js'
import type { ErrorGroups } from '../error-groups/error-groups.js'
import type { ErrorFingerprint } from '../error-groups/fingerprint.js'
import type { AccessLog } from '../logging/access-log.js'
import type { GaugeChild } from '../metrics/gauge.js'
import type { HttpMetrics } from '../metrics/http-metrics.js'
import { ENTER_ENDS_WITH_CALLBACK, markErrorContext, RequestContext, storage } from './context.js'
import { isSafeRequestId } from './request-id.js'
import { methodIndex, type RouteState, type RouteTable } from './routes.js'

/** Tracing's part of the pipeline; absent when tracing is off, so the hot path pays nothing. */
export interface TracingHooks {
  /** The tracing instance (tracing/instance) work outside a request uses: consumed messages. */
  readonly instance?: unknown
  /** The active manual span's log fields (the logger's mixin asks, per line), if one is active. */
  spanFields(request: RequestContext | undefined): Record<string, string> | undefined
  /** Called at request start; may set `context.traceId/spanId/traceFlags/span`. */
  start(context: RequestContext): void
  /**
   * Called at the end, after the access-log line was written: `route` is `undefined` for an
   * unmatched request, `method` a `methodIndex`, `endTime` a `performance.now()` reading.
   */
  end(
    context: RequestContext,
    status: number,
    route: RouteState | undefined,
    method: number,
    aborted: boolean,
    endTime: number,
  ): void
  /**
   * A crash (core/lifecycle/crash): records `error` on the active span and fails it; with `end`
   * (the process is about to exit) ends it and the request's server span, so they are exported.
   * `fingerprint` (core/error-groups) goes on the exception event.
   */
  crashed?(context: RequestContext | undefined, error: unknown, end: boolean, fingerprint?: ErrorFingerprint): void
}

/** Serves `/healthz`, `/readyz`, `/metrics` when they live on the application port. */
export interface OpsResponder {
  /** Returns true when it answered the request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean
}

export interface PipelineDeps {
  nextRequestId: () => string
  routes: RouteTable
  metrics: HttpMetrics | undefined
  active: GaugeChild | undefined
  accessLog: AccessLog | undefined
  /** Fingerprints and counts the errors of 5xx requests (core/error-groups). */
  errors: ErrorGroups | undefined
  ops: OpsResponder | undefined
  tracing: TracingHooks | undefined
  /** True once shutdown began: responses then ask clients to close their connection. */
  isDraining: () => boolean
  /** Reports an internal failure once through the diagnostics logger; never throws. */
  report: (error: unknown, where: string) => void
}

/** How an adapter tells the route at the end, when it could not say at the start (Express). */
export type RouteResolver = (req: IncomingMessage) => string | undefined

const kContext = Symbol('sightline.context')

type TrackedResponse = ServerResponse & { [kContext]?: RequestContext }

type WriteHead = (this: ServerResponse, statusCode: number, reason?: unknown, headers?: unknown) => ServerResponse
/**
 * Node's own methods are read from the prototype at each call, not kept from load time: a patch
 * made later (the `domain` module replaces `EventEmitter.prototype.emit`, an APM may wrap
 * `writeHead`) still runs for tracked responses. A load from one object, which V8 folds.
 */
const responsePrototype = http.ServerResponse.prototype as ServerResponse & { writeHead: WriteHead }
const EVENT_CLOSE = 'close'
/** The header's usual spelling, checked beside the lower-case one in a framework's headers object. */
const HEADER_REQUEST_ID_CANONICAL = 'X-Request-ID'
const HEADER_CONTENT_LENGTH_CANONICAL = 'Content-Length'

/** The id header's line as it goes into the head, ahead of the head's closing blank line. */
const REQUEST_ID_LINE = `${HEADER_REQUEST_ID}: `
const CRLF = '\r\n'
/** How every head Node builds ends: its last line's CRLF, then the blank line. */
const HEAD_END = CRLF + CRLF

/**
 * `writeHead` of a tracked response: adds `X-Request-ID` as the headers are written rather than
 * at request start, by appending its line to the head Node has just built (internals/node: sent
 * with the first body chunk). Any header Node is given goes through its checks again (name and value
 * regexes, lower-casing, a copy of the framework's object to add it to, or its slow path for a
 * `setHeader` before `writeHead(status, headers)`: ~1,300 instructions a response under
 * callgrind); the id needs none of them, being checked when accepted or made by Sightline
 * (`isSafeRequestId`). A value the application set itself wins. It also keeps the object's
 * `content-length` for the access line: headers passed this way never reach `getHeader`.
 * Shared (`this` is the response): no closure per request.
 */
function writeHeadWithRequestId(this: TrackedResponse, _statusCode: number, reason?: unknown, headers?: unknown) {
  const context = this[kContext]
  // A response written once the drain began closes its connection (Node then writes
  // `Connection: close` and ends the socket after it), whenever its request began: a client told
  // keep-alive would send its next request to a server about to close the socket.
  if (context?.isDraining() === true) this.shouldKeepAlive = false
  // biome-ignore lint/complexity/noArguments: passed on whole, for the native method's arity.
  if (!STRING_HEAD && context !== undefined) return writeHeadSettingRequestId(this, context, arguments)
  // biome-ignore lint/complexity/noArguments: the native method distinguishes its overloads by arity.
  const result = responsePrototype.writeHead.apply(this, arguments as unknown as [number, unknown?, unknown?])
  const head = responseHead(this)
  if (context === undefined || head === null) return result
  const given = typeof reason === 'string' ? headers : reason
  let setByApp = false
  if (Array.isArray(given)) {
    setByApp = hasRawHeader(given, HEADER_REQUEST_ID)
  } else if (given !== undefined && given !== null) {
    const object = given as OutgoingHttpHeaders
    context.responseBytes = object[HEADER_CONTENT_LENGTH] ?? object[HEADER_CONTENT_LENGTH_CANONICAL]
    setByApp = object[HEADER_REQUEST_ID] !== undefined || object[HEADER_REQUEST_ID_CANONICAL] !== undefined
  }
  if (!setByApp && !hasOutgoingHeader(this, HEADER_REQUEST_ID)) {
    replaceResponseHead(this, head.slice(0, -CRLF.length) + REQUEST_ID_LINE + context.requestId + HEAD_END)
  }
  return result
}

/** Whether this runtime's `writeHead` builds Node's string head (not Bun's): decided once, at load. */
const STRING_HEAD = sendsStringHead()

/**
 * `writeHead` where there is no string head to add a line to (Bun): the id goes in as an ordinary
 * header before the head is written, unless the application set its own.
 */
function writeHeadSettingRequestId(res: TrackedResponse, context: RequestContext, args: IArguments): ServerResponse {
  const reason = args[1]
  const given = typeof reason === 'string' ? args[2] : reason
  let setByApp = res.hasHeader(HEADER_REQUEST_ID)
  if (Array.isArray(given)) setByApp ||= hasRawHeader(given, HEADER_REQUEST_ID)
  else if (given !== undefined && given !== null) {
    const object = given as OutgoingHttpHeaders
    context.responseBytes = object[HEADER_CONTENT_LENGTH] ?? object[HEADER_CONTENT_LENGTH_CANONICAL]
    setByApp ||= object[HEADER_REQUEST_ID] !== undefined || object[HEADER_REQUEST_ID_CANONICAL] !== undefined
  }
  if (!setByApp && !res.headersSent) res.setHeader(HEADER_REQUEST_ID, context.requestId)
  return responsePrototype.writeHead.apply(res, args as unknown as [number, unknown?, unknown?])
}

/** True when a flat `[name, value, …]` header list (or one of `[name, value]` pairs) names `name`. */
function hasRawHeader(list: readonly unknown[], name: string): boolean {
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]
    const key = Array.isArray(entry) ? entry[0] : i % 2 === 0 ? entry : undefined
    if (typeof key === 'string' && key.toLowerCase() === name) return true
  }
  return false
}

export class Pipeline {
  private readonly deps: PipelineDeps
  private readonly resolveRoute: RouteResolver | undefined

  /**
   * The `emit` of every response this pipeline tracks: it ends the request when the response
   * emits `close`, then emits as Node's would. One function per pipeline, made here: a request
   * costs neither a closure nor a second property on the response to find its pipeline by. A
   * `close` listener would cost more (~400 instructions a request under callgrind: the listener
   * is added to the response's dictionary-mode `_events`, and called through `emit` later), for
   * the one event of the three or four a response emits that Sightline needs. `this` is the response.
   */
  private readonly emitTracked: ServerResponse['emit']

  constructor(deps: PipelineDeps, resolveRoute?: RouteResolver) {
    this.deps = deps
    this.resolveRoute = resolveRoute
    const pipeline = this
    this.emitTracked = function (this: TrackedResponse, event: string | symbol) {
      if (event === EVENT_CLOSE) {
        const context = this[kContext]
        if (context !== undefined) pipeline.end(context)
      }
      // biome-ignore lint/complexity/noArguments: passed through to Node's emit as they came.
      return responsePrototype.emit.apply(this, arguments as unknown as [string | symbol, ...unknown[]])
    }
  }

  /**
   * Runs `next(req, res)` inside a new request context, unless the request is for an ops endpoint
   * on this port, which is answered here and never reaches the application.
   */
  handle(req: IncomingMessage, res: ServerResponse, next: (req: IncomingMessage, res: ServerResponse) => void): void {
    if (this.deps.ops?.handle(req, res) === true) return
    const context = this.begin(req, res)
    try {
      if (ENTER_ENDS_WITH_CALLBACK) {
        // Called from the server's `request` event: the frame ends with the parser's callback.
        storage.enterWith(context)
        next(req, res)
      } else {
        storage.run(context, next, req, res)
      }
    } catch (error) {
      // Rethrown as it came; marked first, so a crash it causes is logged with its request.
      markErrorContext(error, context)
      throw error
    }
  }

  /** Middleware form (Express, Connect): `next` runs inside the request context. */
  middleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (this.deps.ops?.handle(req, res) === true) return
    const context = this.begin(req, res)
    if (ENTER_ENDS_WITH_CALLBACK) {
      // Frameworks call their middleware within the request's callback, or within a promise job
      // of that request's own chain (an async middleware before this one): either ends the frame.
      storage.enterWith(context)
      next()
    } else {
      storage.run(context, next)
    }
  }

  /** Starts tracking a request: id, header, context, end-of-response listener. */
  begin(req: IncomingMessage, res: ServerResponse): RequestContext {
    const deps = this.deps
    const headers = req.headers
    const incoming = headers[HEADER_REQUEST_ID]
    const id = isSafeRequestId(incoming) ? incoming : deps.nextRequestId()
    // The id header is added when the headers are written (see writeHeadWithRequestId).
    res.writeHead = writeHeadWithRequestId as ServerResponse['writeHead']
    const context = new RequestContext(id, req, res, performance.now(), headers)
    context.isDraining = deps.isDraining
    if (deps.tracing !== undefined) {
      try {
        deps.tracing.start(context)
      } catch (error) {
        deps.report(error, 'tracing.start')
      }
    }
    ;(res as TrackedResponse)[kContext] = context
    res.emit = this.emitTracked
    if (deps.active !== undefined) deps.active.value++
    return context
  }

  /** Records the finished (or abandoned) request. Telemetry failures stay here. */
  end(context: RequestContext): void {
    const deps = this.deps
    const endTime = performance.now()
    const durationMs = endTime - context.start
    if (deps.active !== undefined) deps.active.value--
    const res = context.res
    const aborted = !res.writableFinished
    const status = aborted && !res.headersSent ? STATUS_CLIENT_CLOSED : res.statusCode
    let route = context.route
    if (route === undefined) {
      route = deps.routes.unmatched
      try {
        const reader = context.routeReader
        route = deps.routes.get(
          reader !== undefined
            ? reader(context.routeSource as never)
            : this.resolveRoute === undefined
              ? undefined
              : this.resolveRoute(context.req),
        )
      } catch (error) {
        deps.report(error, 'pipeline.route')
      }
      context.route = route
    }
    const method = methodIndex(context.req.method)
    // Error paths only: one comparison for a request that succeeded.
    if (status >= 500 && deps.errors !== undefined) {
      try {
        context.fingerprint = deps.errors.request(context.error, route.template, status)
      } catch (error) {
        deps.report(error, 'pipeline.errors')
      }
    }
    // One guard per pillar: a failure in one (a metric, a log destination) costs the others nothing.
    if (deps.metrics !== undefined) {
      try {
        const sampled = context.traceFlags === '01'
        deps.metrics.observe(
          route,
          method,
          status,
          durationMs / 1000,
          sampled ? context.traceId : undefined,
          sampled ? context.spanId : undefined,
        )
      } catch (error) {
        deps.report(error, 'pipeline.metrics')
      }
    }
    if (deps.accessLog !== undefined) {
      try {
        deps.accessLog.write(context, route, method, status, durationMs, aborted)
      } catch (error) {
        deps.report(error, 'pipeline.accessLog')
      }
    }
    if (deps.tracing !== undefined) {
      try {
        deps.tracing.end(context, status, route === deps.routes.unmatched ? undefined : route, method, aborted, endTime)
      } catch (error) {
        deps.report(error, 'pipeline.tracing')
      }
    }
  }

  /** The route state for a template, for adapters that know routes at registration time. */
  route(template: string | undefined) {
    return this.deps.routes.get(template)
  }

  /** The context attached to a response, if Sightline is tracking it. */
  static contextOf(res: ServerResponse): RequestContext | undefined {
    return (res as TrackedResponse)[kContext]
  }
}
