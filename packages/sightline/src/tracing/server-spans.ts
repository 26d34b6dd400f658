/**
 * @module tracing/server-spans
 * Server spans built by the pipeline itself (no patching of `http`). The sampling decision comes
 * first: an unsampled request gets ids for log correlation and propagation, and no Span object;
 * a sampled one gets a `LightSpan` handed straight to the SDK's processors.
 */
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  TraceFlags,
  type Tracer,
  type TraceState,
  trace,
} from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import type { SamplingResult } from '@opentelemetry/sdk-trace-base'
import { ATTR_ERROR_FINGERPRINT, OTHER_METHOD } from '../core/constants.js'
import type { ErrorFingerprint } from '../core/error-groups/fingerprint.js'
import { serializeError, sqlStateOf } from '../core/logging/access-log.js'
import type { RequestContext } from '../core/pipeline/context.js'
import type { TracingHooks } from '../core/pipeline/pipeline.js'
import { METHOD_NAMES, methodIndex, type RouteState } from '../core/pipeline/routes.js'
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CODE_FILE_PATH,
  ATTR_CODE_LINE_NUMBER,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  EVENT_EXCEPTION,
} from '../core/semconv.js'
import { SamplingDecision } from '../vendor/otel-sdk.js'
import { RemoteParent } from './context-manager.js'
import { type HandoverIdGenerator, randomSpanId, randomTraceId } from './ids.js'
import { activeContext, type TracingInstance } from './instance.js'
import { LightSpan, type SpanSink, sinkOfSdkTracer } from './light-span.js'
import { keepRandomFlag } from './random-flag.js'
import { scopeOf } from './recording.js'
import { SamplingThreshold } from './sampling-threshold.js'
import type { HandoverSampler } from './sdk.js'
import { plainConstructor, SpanIds } from './span-values.js'
import { TRACER_NAME } from './spans.js'
import { TRACE_FLAG_RANDOM } from './trace-context.js'

const NO_ATTRIBUTES: Attributes = Object.freeze({})
/** The headers W3C Trace Context and Baggage propagate, the default propagators' `fields()`. */
const W3C_FIELDS: readonly string[] = ['traceparent', 'tracestate', 'baggage']

/** A server span's first attributes; more are added in `start` and `end` (tracing/span-values). */
const ServerSpanAttributes = plainConstructor<
  new (
    method: string,
    path: string,
    scheme: string,
    protocolVersion: string,
  ) => Attributes
>(function (this: Attributes, method: string, path: string, scheme: string, protocolVersion: string) {
  this[ATTR_HTTP_REQUEST_METHOD] = method
  this[ATTR_URL_PATH] = path
  this[ATTR_URL_SCHEME] = scheme
  this[ATTR_NETWORK_PROTOCOL_VERSION] = protocolVersion
})

/** An exception event's attributes, built without a literal (tracing/span-values says why). */
const ExceptionAttributes = plainConstructor<new (type: string, message: string) => Attributes>(function (
  this: Attributes,
  type: string,
  message: string,
) {
  this[ATTR_EXCEPTION_TYPE] = type
  this[ATTR_EXCEPTION_MESSAGE] = message
})

export class ServerSpans implements TracingHooks {
  /** Where server spans go; `undefined` only if the SDK's internals changed (then `startSpan`). */
  private readonly sink: SpanSink | undefined
  private readonly scope: InstrumentationScope
  /**
   * The last `Host` header seen and its address and port: a service is called by one or a few
   * names, and comparing the header with the last costs less than splitting it again.
   */
  private lastHost: string | undefined = undefined
  private lastAddress = ''
  private lastPort = 0
  /** The headers the propagator reads: a request with none of them starts a trace without extracting. */
  private readonly fields: readonly string[]
  /** They are W3C Trace Context's and Baggage's (the default propagators): checked by name. */
  private readonly w3cFields: boolean
  /** At a ratio strictly between 0 and 1: the `ot=th:` a new trace carries, and its ids' randomness. */
  private readonly threshold: SamplingThreshold | undefined

  constructor(
    private readonly tracer: Tracer,
    private readonly sampler: HandoverSampler,
    private readonly ids: HandoverIdGenerator,
    private readonly propagator: TextMapPropagator,
    /** Share of new traces sampled (from the configured sampler). */
    private readonly rootRatio: number,
    /** The tracing every request of this pipeline points at (tracing/instance). */
    readonly instance: TracingInstance,
  ) {
    this.sink = sinkOfSdkTracer(tracer)
    this.scope = scopeOf(TRACER_NAME)
    this.fields = propagator.fields()
    this.w3cFields =
      this.fields.length === W3C_FIELDS.length && W3C_FIELDS.every((field) => this.fields.includes(field))
    this.threshold = rootRatio > 0 && rootRatio < 1 ? new SamplingThreshold(rootRatio) : undefined
  }

  spanFields(request: RequestContext | undefined): Record<string, string> | undefined {
    return this.instance.spanFields(request)
  }

  start(context: RequestContext): void {
    context.tracing = this.instance
    const req = context.req
    const headers = context.headers
    // Read for every request, sampled or not: the first read caches the peer on the socket
    // (net.Socket's `_peername`), a new hidden class. Read only when a request is sampled, sockets
    // would take it at different points of their life, and the hidden classes that makes turn
    // Node's socket and stream property loads megamorphic for every request: ~5,000 instructions
    // per request at 10% sampling under callgrind; this read on every request is not measurable.
    const remote = req.socket.remoteAddress
    let parent: Context = ROOT_CONTEXT
    let traceId: string
    let sampling: SamplingResult | undefined
    // The random trace-id flag: set for ids Sightline draws, the caller's for a trace it continues.
    let random = TRACE_FLAG_RANDOM
    /** A new trace's tracestate: its sampling threshold, when it was sampled at a ratio. */
    let rootTraceState: TraceState | undefined
    if (!this.hasPropagationHeaders(headers)) {
      // A new trace: one Math.random against the root ratio. An unsampled request builds nothing;
      // its ids are made later only if something needs them (an outgoing call, a manual span).
      if (this.rootRatio === 0 || (this.rootRatio < 1 && Math.random() >= this.rootRatio)) return
      traceId = randomTraceId()
      const threshold = this.threshold
      if (threshold !== undefined) {
        traceId = threshold.sampledTraceId(traceId)
        rootTraceState = threshold.traceState
      }
    } else {
      // An invalid traceparent extracts to nothing: a fresh trace starts. Baggage (and what other
      // propagators extract) stays in `parent`, and reaches the request's context below.
      parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter)
      const parentSpanContext = trace.getSpanContext(parent)
      if (parentSpanContext === undefined) {
        traceId = randomTraceId()
      } else {
        traceId = parentSpanContext.traceId
        random = parentSpanContext.traceFlags & TRACE_FLAG_RANDOM
      }
      sampling = this.sampler.shouldSample(parent, traceId, req.method ?? 'GET', SpanKind.SERVER, NO_ATTRIBUTES, [])
      if (sampling.decision !== SamplingDecision.RECORD_AND_SAMPLED) {
        context.traceId = traceId
        context.spanId = randomSpanId()
        context.traceFlags = '00'
        // The tracestate and baggage it received are forwarded whatever the sampling decision.
        if (parent !== ROOT_CONTEXT) {
          context.otelContext = new RemoteParent(parent, random, sampling.traceState ?? parentSpanContext?.traceState)
        }
        return
      }
    }
    const method = req.method ?? 'GET'
    const methodName = METHOD_NAMES[methodIndex(method)] as string
    const attributes: Attributes = new ServerSpanAttributes(
      methodName,
      pathOf(req.url),
      (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      req.httpVersion,
    )
    let count = 4
    if (methodName === OTHER_METHOD) {
      attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method
      count++
    }
    const host = headers.host
    if (host !== undefined) {
      if (host !== this.lastHost) this.parseHost(host)
      attributes[ATTR_SERVER_ADDRESS] = this.lastAddress
      count++
      if (this.lastPort > 0) {
        attributes[ATTR_SERVER_PORT] = this.lastPort
        count++
      }
    }
    const userAgent = headers['user-agent']
    if (userAgent !== undefined) {
      attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent
      count++
    }
    if (remote !== undefined) {
      attributes[ATTR_CLIENT_ADDRESS] = remote
      count++
    }
    let span: Span
    const sink = this.sink
    if (sink === undefined) {
      this.ids.next = traceId
      this.sampler.pending = SamplingDecision.RECORD_AND_SAMPLED
      this.sampler.pendingTraceState = rootTraceState
      span = this.tracer.startSpan(methodName, { kind: SpanKind.SERVER, attributes }, parent)
      this.ids.next = undefined
      this.sampler.pending = undefined
      keepRandomFlag(span, trace.getSpanContext(parent), random !== 0)
    } else {
      const parentSpanContext = trace.getSpanContext(parent)
      const spanContext = new SpanIds(
        traceId,
        randomSpanId(),
        TraceFlags.SAMPLED | random,
        sampling?.traceState ?? parentSpanContext?.traceState ?? rootTraceState,
      )
      if (sampling?.attributes !== undefined) {
        for (const key of Object.keys(sampling.attributes)) {
          if (attributes[key] === undefined) count++
          attributes[key] = sampling.attributes[key]
        }
      }
      span = new LightSpan(
        sink,
        this.scope,
        SpanKind.SERVER,
        spanContext,
        methodName,
        attributes,
        count,
        parentSpanContext,
        context.start,
        parent,
      )
    }
    const spanContext = span.spanContext()
    // The request's context is built from what was extracted (baggage), not from an empty one.
    if (parent !== ROOT_CONTEXT) context.otelContext = new RemoteParent(parent, random, undefined)
    context.span = span
    context.traceId = spanContext.traceId
    context.spanId = spanContext.spanId
    context.traceFlags = '01'
  }

  /** True when the request carries a header the propagator reads (`traceparent`, `baggage`, ...). */
  private hasPropagationHeaders(headers: RequestContext['headers']): boolean {
    // Named loads of W3C's three headers: one load site per name. A load by a name from the list
    // would see three names at one site, and V8 makes such a site megamorphic (a lookup each time).
    if (this.w3cFields) {
      return headers.traceparent !== undefined || headers.tracestate !== undefined || headers.baggage !== undefined
    }
    const fields = this.fields
    for (let i = 0; i < fields.length; i++) if (headers[fields[i] as string] !== undefined) return true
    return false
  }

  /** Splits a `Host` header into `server.address` and `server.port` (0 when it has none). */
  private parseHost(host: string): void {
    const colon = host.lastIndexOf(':')
    // `[::1]` alone: the colon is inside the brackets.
    const hasPort = colon > 0 && !host.endsWith(']')
    this.lastAddress = hasPort ? host.slice(0, colon) : host
    const port = hasPort ? Number(host.slice(colon + 1)) : 0
    // biome-ignore lint/complexity/useMathMinMax: an unparsable port is NaN, which must become 0 (Math.max keeps NaN).
    this.lastPort = port > 0 ? port : 0
    this.lastHost = host
  }

  end(
    context: RequestContext,
    status: number,
    route: RouteState | undefined,
    method: number,
    aborted: boolean,
    endTime: number,
  ): void {
    const span = context.span as Span | undefined
    if (span === undefined) return
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    if (route !== undefined) {
      span.setAttribute(ATTR_HTTP_ROUTE, route.template)
      span.updateName(route.spanName(method))
    }
    let errorType: string | undefined
    if (context.error !== undefined) {
      // What the access line records (type, a message with no request data, a database's SQLSTATE),
      // as the event's attributes: `recordException` would take a `code` for the type.
      const error = serializeError(context.error, status)
      errorType = String(error.type)
      const attributes: Attributes = new ExceptionAttributes(errorType, String(error.message))
      if (error.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = error.stack as string
      const sqlState = sqlStateOf(context.error)
      if (sqlState !== undefined) attributes[ATTR_DB_RESPONSE_STATUS_CODE] = sqlState
      if (context.fingerprint !== undefined) addFingerprint(attributes, context.fingerprint)
      span.addEvent(EVENT_EXCEPTION, attributes)
    }
    if (status >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR })
      span.setAttribute(ATTR_ERROR_TYPE, errorType ?? String(status))
    } else if (aborted) {
      span.setAttribute(ATTR_ERROR_TYPE, 'aborted')
    }
    if (span instanceof LightSpan) span.endAt(endTime)
    else span.end()
  }

  crashed(context: RequestContext | undefined, error: unknown, end: boolean, fingerprint?: ErrorFingerprint): void {
    const server = context?.span as Span | undefined
    const active = trace.getSpan(activeContext(this.instance)) ?? server
    if (active === undefined || !active.isRecording()) return
    const serialized = serializeError(error)
    const attributes: Attributes = new ExceptionAttributes(String(serialized.type), String(serialized.message))
    if (serialized.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = serialized.stack as string
    if (fingerprint !== undefined) addFingerprint(attributes, fingerprint)
    active.addEvent(EVENT_EXCEPTION, attributes)
    // The request never reaches `end`: its route, when the framework already matched one, is set here.
    const route = context?.route
    if (server !== undefined && route !== undefined) {
      server.setAttribute(ATTR_HTTP_ROUTE, route.template)
      server.updateName(route.spanName(methodIndex(context?.req.method)))
    }
    for (const span of active === server || server === undefined ? [active] : [active, server]) {
      span.setStatus({ code: SpanStatusCode.ERROR })
      span.setAttribute(ATTR_ERROR_TYPE, String(serialized.type))
      // The innermost first: a child ends before its parent, as it would have.
      if (end) span.end()
    }
  }
}

/** The error's fingerprint and where it was thrown, on its exception event (core/error-groups). */
function addFingerprint(attributes: Attributes, fingerprint: ErrorFingerprint): void {
  attributes[ATTR_ERROR_FINGERPRINT] = fingerprint.fingerprint
  if (fingerprint.file !== '') {
    attributes[ATTR_CODE_FILE_PATH] = fingerprint.file
    attributes[ATTR_CODE_LINE_NUMBER] = fingerprint.line
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
