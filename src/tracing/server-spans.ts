/**
 * @module tracing/server-spans
 * Server spans built by the pipeline itself (no patching of `http`). The sampling decision comes
 * first: an unsampled request gets ids for log correlation and propagation, and no Span object.
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
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { SamplingDecision } from '@opentelemetry/sdk-trace-base'
import { OTHER_METHOD } from '../core/constants.js'
import { serializeError } from '../core/logging/access-log.js'
import type { RequestContext } from '../core/pipeline/context.js'
import type { TracingHooks } from '../core/pipeline/pipeline.js'
import { METHOD_NAMES, methodIndex } from '../core/pipeline/routes.js'
import { type HandoverIdGenerator, randomSpanId, randomTraceId } from './ids.js'
import type { HandoverSampler } from './sdk.js'

const NO_ATTRIBUTES: Attributes = Object.freeze({})

export class ServerSpans implements TracingHooks {
  constructor(
    private readonly tracer: Tracer,
    private readonly sampler: HandoverSampler,
    private readonly ids: HandoverIdGenerator,
    private readonly propagator: TextMapPropagator,
    /** Share of new traces sampled (from the configured sampler). */
    private readonly rootRatio: number,
  ) {}

  start(context: RequestContext): void {
    const req = context.req
    const headers = req.headers
    let parent: Context = ROOT_CONTEXT
    let traceId: string
    if (headers.traceparent === undefined) {
      // A new trace: one Math.random against the root ratio. An unsampled request builds nothing;
      // its ids are made later only if something needs them (an outgoing call, a manual span).
      if (this.rootRatio === 0 || (this.rootRatio < 1 && Math.random() >= this.rootRatio)) return
      traceId = randomTraceId()
    } else {
      // An invalid traceparent extracts to nothing: a fresh trace starts.
      parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter)
      const parentTraceId = trace.getSpanContext(parent)?.traceId
      traceId = parentTraceId ?? randomTraceId()
      const decision = this.sampler.shouldSample(
        parent,
        traceId,
        req.method ?? 'GET',
        SpanKind.SERVER,
        NO_ATTRIBUTES,
        [],
      ).decision
      if (decision !== SamplingDecision.RECORD_AND_SAMPLED) {
        context.traceId = traceId
        context.spanId = randomSpanId()
        context.traceFlags = '00'
        return
      }
    }
    const method = req.method ?? 'GET'
    const methodName = METHOD_NAMES[methodIndex(method)] as string
    const attributes: Attributes = {
      'http.request.method': methodName,
      'url.path': pathOf(req.url),
      'url.scheme': (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      'network.protocol.version': req.httpVersion,
    }
    if (methodName === OTHER_METHOD) attributes['http.request.method_original'] = method
    const host = headers.host
    if (host !== undefined) {
      const colon = host.lastIndexOf(':')
      attributes['server.address'] = colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host
      if (colon > 0) attributes['server.port'] = Number(host.slice(colon + 1)) || undefined
    }
    if (headers['user-agent'] !== undefined) attributes['user_agent.original'] = headers['user-agent']
    if (req.socket.remoteAddress !== undefined) attributes['client.address'] = req.socket.remoteAddress
    this.ids.next = traceId
    this.sampler.pending = SamplingDecision.RECORD_AND_SAMPLED
    const span = this.tracer.startSpan(methodName, { kind: SpanKind.SERVER, attributes }, parent)
    this.ids.next = undefined
    this.sampler.pending = undefined
    const spanContext = span.spanContext()
    context.span = span
    context.traceId = spanContext.traceId
    context.spanId = spanContext.spanId
    context.traceFlags = '01'
  }

  end(context: RequestContext, status: number, routeTemplate: string | undefined, aborted: boolean): void {
    const span = context.span as Span | undefined
    if (span === undefined) return
    span.setAttribute('http.response.status_code', status)
    const method = METHOD_NAMES[methodIndex(context.req.method)] as string
    if (routeTemplate !== undefined) {
      span.setAttribute('http.route', routeTemplate)
      span.updateName(`${method} ${routeTemplate}`)
    }
    if (context.error !== undefined) {
      // Type, message and stack only: an error object can carry request data.
      const error = serializeError(context.error)
      span.recordException({ name: String(error.type), message: String(error.message), stack: error.stack as string })
    }
    if (status >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR })
      span.setAttribute('error.type', context.error instanceof Error ? context.error.name : String(status))
    } else if (aborted) {
      span.setAttribute('error.type', 'aborted')
    }
    span.end()
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
