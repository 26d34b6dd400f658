/**
 * @module instrumentations/messaging/telemetry
 * What every broker client's instrumentation shares: a send is a PRODUCER span (child of the
 * caller's span, or a new trace outside any), its context and the request's `X-Request-ID`
 * written into the message's headers through the configured propagators (`traceparent`,
 * `tracestate`, `baggage`); a delivered message is a CONSUMER `process` span whose parent is the
 * producer's span, so one message is one trace across the broker (the conventions allow the
 * creation context as parent when one message is processed), and its handler runs inside a
 * context of its own (core/pipeline/context `messageContext`), so its log lines, spans and
 * outgoing calls carry the producer's trace id and the message's request id. Both are counted
 * and timed (messaging/metrics). Telemetry never throws into the application: a failure of its
 * own is reported (`sightline.report`) and the client's call goes on untouched.
 */
import { performance } from 'node:perf_hooks'
import {
  type Attributes,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api'
import { HEADER_REQUEST_ID } from '../../core/constants.js'
import { getSightline } from '../../core/default.js'
import { readInteger } from '../../core/option-readers.js'
import { messageContext, type RequestContext, storage } from '../../core/pipeline/context.js'
import { createRequestIdGenerator, isSafeRequestId } from '../../core/pipeline/request-id.js'
import { ATTR_ERROR_TYPE, ATTR_EXCEPTION_TYPE, EVENT_EXCEPTION } from '../../core/semconv.js'
import type { Sightline } from '../../core/sightline.js'
import { activeContext, activeInstance, type TracingInstance } from '../../tracing/instance.js'
import { recordingActiveSpan, startClientSpan } from '../../tracing/recording.js'
import { isTracingSuppressed } from '../../vendor/otel-sdk.js'
import { DEFAULT_MAX_DESTINATIONS, DestinationTable } from './destinations.js'
import { errorTypeOf } from './errors.js'
import { MessagingMetrics, type OperationSeries } from './metrics.js'

/** Options every messaging instrumentation takes. */
export interface MessagingOptions {
  sightline?: Sightline
  /**
   * Distinct destination names labelled on the metrics before new ones fold into `(other)`.
   * Env `SIGHTLINE_MESSAGING_MAX_DESTINATIONS`. Default 100.
   */
  maxDestinations?: number
}

/** Message headers as text: what the propagators read and write. */
export type Carrier = Record<string, string>

/** A send in flight: the headers to add to the message, and its end. */
export class Send {
  constructor(
    /** `traceparent`, `tracestate`, `baggage` (whatever the propagators write) and `x-request-id`. */
    readonly headers: Carrier,
    private readonly telemetry: MessagingTelemetry,
    private readonly series: OperationSeries,
    private readonly span: Span | undefined,
    private readonly started: number,
  ) {}

  /** Counts and times the send, and ends its span; `failed` with the error the client gave. */
  end(failed = false, error?: unknown): void {
    this.telemetry.finish(this.series, this.span, this.started, failed, error)
  }
}

export class MessagingTelemetry {
  readonly sightline: Sightline
  readonly destinations: DestinationTable
  private readonly metrics: MessagingMetrics
  private readonly nextRequestId = createRequestIdGenerator()

  constructor(
    readonly system: string,
    private readonly tracerName: string,
    options: MessagingOptions,
    temporaryPrefixes: readonly string[] = [],
  ) {
    this.sightline = options.sightline ?? getSightline()
    const max = readInteger(
      'maxDestinations',
      options.maxDestinations,
      process.env.SIGHTLINE_MESSAGING_MAX_DESTINATIONS,
      DEFAULT_MAX_DESTINATIONS,
      { min: 1, max: 1000 },
    )
    this.destinations = new DestinationTable(max, temporaryPrefixes)
    this.metrics = new MessagingMetrics(this.sightline.metrics, system)
  }

  /**
   * Starts a send of `operation` (`publish`) to `destination`: the PRODUCER span when the caller's
   * trace records (or a new trace's, outside any), and the headers carrying its context.
   */
  send(operation: string, destination: string, attributes: Attributes): Send {
    const started = performance.now()
    const label = this.destinations.label(destination)
    const series = this.metrics.send(operation, label)
    const headers: Carrier = {}
    let span: Span | undefined
    try {
      const request = storage.getStore()
      if (request !== undefined) headers[HEADER_REQUEST_ID] = request.requestId
      const instance = (request?.tracing as TracingInstance | undefined) ?? this.instance()
      const active = activeContext(instance)
      if (isTracingSuppressed(active)) return new Send(headers, this, series, undefined, started)
      let carrier = active
      if (instance !== undefined) {
        const name = `${operation} ${label}`
        const parent = recordingActiveSpan()
        if (parent !== undefined) {
          span = startClientSpan(this.tracerName, name, attributes, parent, active, SpanKind.PRODUCER)
        } else if (trace.getSpan(active) === undefined) {
          // No trace yet (a job, a script): the send starts one, as the configured sampler decides.
          span = instance.tracer(this.tracerName).startSpan(name, { kind: SpanKind.PRODUCER, attributes }, active)
        }
        // An unsampled caller's span is not replaced: the consumer continues its (unsampled) trace.
        if (span !== undefined) carrier = trace.setSpan(active, span)
        instance.propagator.inject(carrier, headers, defaultTextMapSetter)
      } else {
        propagation.inject(carrier, headers)
      }
    } catch (failure) {
      this.sightline.report(failure, `${this.system}.send`)
    }
    return new Send(headers, this, series, span, started)
  }

  /**
   * Runs `handler` for one delivered message as a CONSUMER `process` span, child of the
   * producer's span found in `carrier`, inside the message's context. `bind` receives the span
   * before the handler runs (settlement events go on it). What `handler` throws or rejects with
   * is recorded; a throw is thrown on, and the returned promise is the handler's own.
   */
  process<T>(
    destination: string,
    carrier: Carrier,
    attributes: Attributes,
    handler: () => T,
    bind?: (span: Span) => void,
  ): T {
    let context: RequestContext
    let series: OperationSeries
    let span: Span | undefined
    let started: number
    try {
      started = performance.now()
      const label = this.destinations.label(destination)
      series = this.metrics.process(OPERATION_PROCESS, label)
      const given = carrier[HEADER_REQUEST_ID]
      context = messageContext(isSafeRequestId(given) ? given : this.nextRequestId(), started)
      const instance = this.instance()
      const extracted =
        instance === undefined
          ? propagation.extract(ROOT_CONTEXT, carrier)
          : instance.propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
      let ids = trace.getSpanContext(extracted)
      if (instance !== undefined) {
        span = instance
          .tracer(this.tracerName)
          .startSpan(`${OPERATION_PROCESS} ${label}`, { kind: SpanKind.CONSUMER, attributes }, extracted)
        ids = span.spanContext()
        context.tracing = instance
        if (span.isRecording()) context.span = span
        // The context's OpenTelemetry context: the consumer span, and the baggage the producer sent.
        context.otelContext = trace.setSpan(extracted, span)
        bind?.(span)
      }
      if (ids !== undefined) {
        context.traceId = ids.traceId
        context.spanId = ids.spanId
        context.traceFlags = (ids.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'
      }
    } catch (failure) {
      this.sightline.report(failure, `${this.system}.process`)
      return handler()
    }
    let result: T
    try {
      result = storage.run(context, handler)
    } catch (error) {
      this.finish(series, span, started, true, error)
      throw error
    }
    if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
      // Observed only: neither amqplib nor nats awaits a handler, so a rejection is told here, on
      // the span, the metrics and one log line in the message's context (its type, never its text).
      ;(result as Promise<unknown>).then(
        () => this.finish(series, span, started, false, undefined),
        (error: unknown) => {
          this.finish(series, span, started, true, error)
          storage.run(context, () =>
            this.sightline.logger.error({ err_type: errorTypeOf(error), destination }, 'message handler failed'),
          )
        },
      )
    } else {
      this.finish(series, span, started, false, undefined)
    }
    return result
  }

  /** Counts and times one operation and ends its span. Never throws. */
  finish(series: OperationSeries, span: Span | undefined, started: number, failed: boolean, error: unknown): void {
    try {
      const errorType = failed ? errorTypeOf(error) : ''
      series.record((performance.now() - started) / 1000, errorType)
      if (span === undefined) return
      if (failed) {
        span.addEvent(EVENT_EXCEPTION, { [ATTR_EXCEPTION_TYPE]: errorType })
        span.setAttribute(ATTR_ERROR_TYPE, errorType)
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType })
      }
      span.end()
    } catch (failure) {
      this.sightline.report(failure, `${this.system}.end`)
    }
  }

  /** The tracing of this Sightline, else the process's global one. */
  private instance(): TracingInstance | undefined {
    return (this.sightline.tracingInstance() as TracingInstance | undefined) ?? activeInstance()
  }
}

/** `messaging.operation.name` and span-name prefix of a delivered message's handling. */
export const OPERATION_PROCESS = 'process'
