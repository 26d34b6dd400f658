/**
 * @module tracing/propagation
 * Outgoing calls carry `traceparent` (and `tracestate`, `baggage`: whatever the instance's
 * propagators write) and the request's `X-Request-ID`, sampled or not; when the caller's span is
 * sampled, each call gets a client span, which ends when the response's body is in (or the call
 * fails), not at its headers. Seen through `diagnostics_channel` (undici/fetch and
 * `node:http`), so nothing is monkey-patched and ESM works the same as CommonJS.
 *
 * `node:http`: 'http.client.request.start' is published once the request's headers are written
 * (with `end()` called at once, as most code does, already sent), so headers are added as the
 * request is made (internals/node: 'http.client.request.created' where Node publishes it, a
 * wrapped `http.request`/`get` on Node 20); 'start' stays subscribed for requests made otherwise
 * (`new ClientRequest`) whose headers are not built yet.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { ClientRequest, IncomingMessage } from 'node:http'
import {
  type Attributes,
  defaultTextMapSetter,
  propagation,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import { HEADER_REQUEST_ID } from '../core/constants.js'
import { storage } from '../core/pipeline/context.js'
import { METHOD_NAMES, methodIndex } from '../core/pipeline/routes.js'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '../core/semconv.js'
import { onClientRequestCreated } from '../internals/node.js'
import { isTracingSuppressed } from '../vendor/otel-sdk.js'
import type { ClientCall } from './client-metrics.js'
import { randomSpanId } from './ids.js'
import { activeContext, activeInstance } from './instance.js'
import { startClientSpan } from './recording.js'
import { plainConstructor, SpanIds } from './span-values.js'
import { TRACER_NAME } from './spans.js'

interface UndiciRequest {
  method: string
  origin: string
  path: string
  headers: string | string[] | undefined
  addHeader(name: string, value: string): void
}

const undiciSpans = new WeakMap<object, Span>()
const undiciCalls = new WeakMap<object, ClientCall>()
/** node:http requests already prepared: 'created' and then 'start' may both tell of one. */
const preparedHttp = new WeakSet<object>()

/** An outgoing call's span attributes, built without a literal (tracing/span-values says why). */
const ClientSpanAttributes = plainConstructor<
  new (
    method: string,
    host: string,
    port: number,
    url: string,
  ) => Attributes
>(function (this: Attributes, method: string, host: string, port: number, url: string) {
  this[ATTR_HTTP_REQUEST_METHOD] = method
  this[ATTR_SERVER_ADDRESS] = host
  this[ATTR_SERVER_PORT] = port
  this[ATTR_URL_FULL] = url
})

interface Prepared {
  headers: Record<string, string>
  span?: Span
  /** The call timed for `http.client.request.duration`, sampled or not. */
  call?: ClientCall
}

/** Headers to add for a call made from the active context, the client span when sampled, and its timing. */
function prepare(method: string, url: URL, hasTraceparent: boolean): Prepared {
  const instance = activeInstance()
  const active = activeContext(instance)
  const headers: Record<string, string> = {}
  // Suppressed: Sightline's own export (or an instrumentation's), neither traced nor counted.
  if (isTracingSuppressed(active)) return { headers }
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
  const call = instance?.clientMetrics?.start(METHOD_NAMES[methodIndex(method)] as string, url.hostname, port)
  const request = storage.getStore()
  if (request !== undefined) headers[HEADER_REQUEST_ID] = request.requestId
  if (hasTraceparent) return { headers, call }
  const parent = trace.getSpan(active)
  let span: Span | undefined
  let carrierContext = active
  if (parent?.isRecording()) {
    const name = METHOD_NAMES[methodIndex(method)] as string
    span = startClientSpan(
      TRACER_NAME,
      name,
      new ClientSpanAttributes(name, url.hostname, port, `${url.origin}${url.pathname}`),
      parent,
      active,
    )
    carrierContext = trace.setSpan(active, span)
  } else if (parent !== undefined) {
    // Unsampled: each call is still an operation of its own, so each gets its own parent-id (the
    // id of a span nobody records), as the SDK's non-recording spans have it; flags and
    // tracestate are the caller's.
    const ids = parent.spanContext()
    carrierContext = trace.setSpan(
      active,
      trace.wrapSpanContext(new SpanIds(ids.traceId, randomSpanId(), ids.traceFlags, ids.traceState)),
    )
  }
  if (instance === undefined) propagation.inject(carrierContext, headers)
  else instance.propagator.inject(carrierContext, headers, defaultTextMapSetter)
  return { headers, span, call }
}

/** The response's status, set when its headers arrive; the span ends once the body is in. */
function setResponseStatus(span: Span, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
}

function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setStatus({ code: SpanStatusCode.ERROR })
    span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'error')
  }
  span.end()
}

/** True when undici's headers (name, value, name, value... or 'name: value\r\n' lines) name `traceparent`. */
function undiciHasTraceparent(headers: string | string[] | undefined): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string
      if (name.length === 11 && name.toLowerCase() === 'traceparent') return true
    }
    return false
  }
  if (typeof headers !== 'string') return false
  const lower = headers.toLowerCase()
  return lower.startsWith('traceparent:') || lower.includes('\ntraceparent:')
}

const onUndiciCreate = (message: unknown): void => {
  const request = (message as { request: UndiciRequest }).request
  try {
    const { headers, span, call } = prepare(
      request.method,
      new URL(request.path, request.origin),
      undiciHasTraceparent(request.headers),
    )
    for (const [name, value] of Object.entries(headers)) request.addHeader(name, value)
    if (span !== undefined) undiciSpans.set(request, span)
    if (call !== undefined) undiciCalls.set(request, call)
  } catch {
    // Propagation is best effort: an outgoing call never fails because of it.
  }
}

// The call is not over at its response's headers: its body may take longer than they did. The span
// ends at 'trailers', which undici publishes once the body is fully received (as OpenTelemetry's
// undici instrumentation does), or at 'error', published as well when the body is aborted or
// cancelled midway.
const onUndiciHeaders = (message: unknown): void => {
  const { request, response } = message as { request: object; response: { statusCode: number } }
  const span = undiciSpans.get(request)
  if (span !== undefined) setResponseStatus(span, response.statusCode)
  const call = undiciCalls.get(request)
  if (call !== undefined) call.status = response.statusCode
}

const onUndiciTrailers = (message: unknown): void => {
  const request = (message as { request: object }).request
  const call = undiciCalls.get(request)
  if (call !== undefined) {
    undiciCalls.delete(request)
    call.end()
  }
  const span = undiciSpans.get(request)
  if (span === undefined) return
  undiciSpans.delete(request)
  endSpan(span)
}

const onUndiciError = (message: unknown): void => {
  const { request, error } = message as { request: object; error: unknown }
  const call = undiciCalls.get(request)
  if (call !== undefined) {
    undiciCalls.delete(request)
    call.end(error)
  }
  const span = undiciSpans.get(request)
  if (span === undefined) return
  undiciSpans.delete(request)
  endSpan(span, error)
}

const onHttpClientStart = (message: unknown): void => {
  const request = (message as { request: ClientRequest }).request
  try {
    // 'start' after 'created' tells of a request already prepared.
    if (request.headersSent || preparedHttp.has(request)) return
    preparedHttp.add(request)
    // `host` has no port; the Host header Node set from the options has it (when not the default).
    const hostHeader = request.getHeader('host')
    const authority = typeof hostHeader === 'string' && hostHeader !== '' ? hostHeader : request.host
    const url = new URL(request.path, `${request.protocol}//${authority}`)
    const { headers, span, call } = prepare(request.method, url, request.hasHeader('traceparent'))
    for (const [name, value] of Object.entries(headers)) if (!request.hasHeader(name)) request.setHeader(name, value)
    if (span === undefined && call === undefined) return
    // Ended once the response's body is in ('end'), or when the call fails before or during it.
    let ended = false
    const end = (error?: unknown) => {
      if (ended) return
      ended = true
      if (span !== undefined) endSpan(span, error)
      call?.end(error)
    }
    request.once('response', (response: IncomingMessage) => {
      if (call !== undefined) call.status = response.statusCode ?? 0
      if (span !== undefined) setResponseStatus(span, response.statusCode ?? 0)
      response.once('end', () => end())
      response.once('close', () => {
        if (!response.complete) end(new Error('the response was aborted before its body was received'))
      })
    })
    request.once('error', end)
  } catch {
    // Best effort, as above.
  }
}

/**
 * How many tracing instances use the channels. They are process-wide, and each handler asks the
 * instance in charge of the call (tracing/instance), so one subscription serves every instance.
 */
let installs = 0
let releaseCreated: (() => void) | undefined

/** Subscribes while at least one instance is installed; returns a function that releases this one. */
export function installPropagation(): () => void {
  let released = false
  const release = () => {
    if (released) return
    released = true
    if (--installs > 0) return
    diagnosticsChannel.unsubscribe('undici:request:create', onUndiciCreate)
    diagnosticsChannel.unsubscribe('undici:request:headers', onUndiciHeaders)
    diagnosticsChannel.unsubscribe('undici:request:trailers', onUndiciTrailers)
    diagnosticsChannel.unsubscribe('undici:request:error', onUndiciError)
    releaseCreated?.()
    releaseCreated = undefined
    diagnosticsChannel.unsubscribe('http.client.request.start', onHttpClientStart)
  }
  if (installs++ > 0) return release
  diagnosticsChannel.subscribe('undici:request:create', onUndiciCreate)
  diagnosticsChannel.subscribe('undici:request:headers', onUndiciHeaders)
  diagnosticsChannel.subscribe('undici:request:trailers', onUndiciTrailers)
  diagnosticsChannel.subscribe('undici:request:error', onUndiciError)
  releaseCreated = onClientRequestCreated(onHttpClientStart)
  diagnosticsChannel.subscribe('http.client.request.start', onHttpClientStart)
  return release
}
