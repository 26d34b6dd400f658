/**
 * @module tracing/sdk
 * Builds the OpenTelemetry SDK pieces from resolved options: sampler, resource, exporter, and a
 * span processor whose drops are counted (the SDK only logs them).
 */

import { hostname } from 'node:os'
import type { Context, TraceState } from '@opentelemetry/api'
import type { ExportResult } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type {
  ReadableSpan,
  Sampler,
  SamplingDecision,
  SamplingResult,
  Span,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { importPeer } from '../core/errors.js'
import type { Counter } from '../core/metrics/counter.js'
import {
  ATTR_HOST_NAME,
  ATTR_PROCESS_PID,
  ATTR_PROCESS_RUNTIME_NAME,
  ATTR_PROCESS_RUNTIME_VERSION,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '../core/semconv.js'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  defaultResource,
  detectResources,
  ExportResultCode,
  envDetector,
  ParentBasedSampler,
  resourceFromAttributes,
  TraceIdRatioBasedSampler,
} from '../vendor/otel-sdk.js'
import type { ResolvedTracingOptions, ResourceOptions } from './options.js'

export const METRIC_SPANS_EXPORTED = 'sightline_spans_exported_total'
export const METRIC_SPANS_DROPPED = 'sightline_spans_dropped_total'

/** The share of new (parentless) traces a standard sampler keeps, so the pipeline can decide alone. */
export function rootRatioOf(options: ResolvedTracingOptions): number {
  switch (options.sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return 1
    case 'always_off':
    case 'parentbased_always_off':
      return 0
    default:
      return options.ratio
  }
}

/**
 * The configured sampler, but when the pipeline has already decided for a server span it answers
 * that decision (once), so the SDK and the pipeline never disagree.
 */
export class HandoverSampler implements Sampler {
  pending: SamplingDecision | undefined = undefined
  /** The tracestate that decision gives the span (a new trace's sampling threshold), if any. */
  pendingTraceState: TraceState | undefined = undefined
  constructor(private readonly inner: Sampler) {}

  shouldSample(...args: Parameters<Sampler['shouldSample']>): SamplingResult {
    const pending = this.pending
    if (pending !== undefined) {
      this.pending = undefined
      const traceState = this.pendingTraceState
      this.pendingTraceState = undefined
      return traceState === undefined ? { decision: pending } : { decision: pending, traceState }
    }
    return this.inner.shouldSample(...args)
  }

  toString(): string {
    return `HandoverSampler{${this.inner.toString()}}`
  }
}

export function buildSampler(options: ResolvedTracingOptions): Sampler {
  const ratio = new TraceIdRatioBasedSampler(options.ratio)
  switch (options.sampler) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return ratio
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    default:
      return new ParentBasedSampler({ root: ratio })
  }
}

/** The resource of every span and of the metrics push (metrics-otlp/resource). */
export function buildResource(options: ResourceOptions, fallbackService: string): Resource {
  const attributes: Record<string, string | number> = {
    [ATTR_SERVICE_NAME]: options.serviceName ?? fallbackService,
    [ATTR_HOST_NAME]: hostname(),
    [ATTR_PROCESS_PID]: process.pid,
    [ATTR_PROCESS_RUNTIME_NAME]: 'nodejs',
    [ATTR_PROCESS_RUNTIME_VERSION]: process.versions.node,
  }
  if (options.serviceVersion !== undefined) attributes[ATTR_SERVICE_VERSION] = options.serviceVersion
  if (options.environment !== undefined) attributes['deployment.environment.name'] = options.environment
  // OTEL_RESOURCE_ATTRIBUTES adds to what Sightline sets and wins over it (a later merge wins),
  // except for the service name: Sightline's, which already read OTEL_SERVICE_NAME and the
  // attributes' service.name, is merged last, so the log lines and spans of a process name one service.
  const fromEnv = detectResources({ detectors: [envDetector] })
  return defaultResource()
    .merge(resourceFromAttributes(attributes))
    .merge(fromEnv)
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: attributes[ATTR_SERVICE_NAME] as string }))
}

export async function buildExporter(options: ResolvedTracingOptions): Promise<SpanExporter | undefined> {
  if (options.exporter === 'none') return undefined
  if (options.exporter === 'console') return new ConsoleSpanExporter()
  if (options.endpoint === undefined) return undefined
  // grpc and http/json are OpenTelemetry's own exporters, optional peer dependencies loaded on
  // demand: grpc pulls in a large dependency tree nobody on http/protobuf should install or pay for.
  // The exporter's own timeout (retries included) matches the processor's, so a hung collector
  // reports a failure, counted, instead of leaving the export open past the processor's deadline.
  const config = { url: options.endpoint, timeoutMillis: options.batch.exportTimeoutMillis }
  if (options.protocol === 'grpc') {
    const { OTLPTraceExporter } = await importPeer<typeof import('@opentelemetry/exporter-trace-otlp-grpc')>(
      '@opentelemetry/exporter-trace-otlp-grpc',
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc',
    )
    return new OTLPTraceExporter(config)
  }
  if (options.protocol === 'http/json') {
    const { OTLPTraceExporter } = await importPeer<typeof import('@opentelemetry/exporter-trace-otlp-http')>(
      '@opentelemetry/exporter-trace-otlp-http',
      'OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
    )
    return new OTLPTraceExporter(config)
  }
  if (options.exportThread === 'worker') {
    const { WorkerSpanExporter } = await import('./otlp-exporter.js')
    return new WorkerSpanExporter(config)
  }
  const { createProtobufSpanExporter } = await import('./main-thread-exporter.js')
  return createProtobufSpanExporter(config)
}

/** A failed export is logged at most this often; the counter has every one. */
export const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000

/** Where a failed export is told: a warn line of the application's logger. */
export type ExportFailureLog = (
  fields: { err: unknown; spans_dropped: number; failed_exports: number },
  msg: string,
) => void

/**
 * Counts what the exporter delivered and what it failed to; never changes the result. A failure is
 * also logged, at most once a minute with what failed since the last line: a collector that refuses
 * every batch (a wrong endpoint, a 400) would otherwise show only as a counter nobody watches yet.
 */
export class CountingExporter implements SpanExporter {
  private lastLogged = Number.NEGATIVE_INFINITY
  private droppedSinceLog = 0
  private failuresSinceLog = 0

  constructor(
    private readonly inner: SpanExporter,
    private readonly exported: Counter,
    private readonly dropped: Counter,
    private readonly logFailure: ExportFailureLog = () => {},
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.exported.inc(spans.length)
      else this.failed(spans.length, result.error)
      done(result)
    })
  }

  private failed(spans: number, error: unknown): void {
    this.dropped.inc({ reason: 'export_failed' }, spans)
    this.droppedSinceLog += spans
    this.failuresSinceLog++
    const now = Date.now()
    if (now - this.lastLogged < EXPORT_FAILURE_LOG_INTERVAL_MS) return
    this.lastLogged = now
    try {
      this.logFailure(
        { err: error, spans_dropped: this.droppedSinceLog, failed_exports: this.failuresSinceLog },
        'span export failed; the spans are dropped',
      )
    } catch {
      // A logger that throws must not fail the export's callback.
    }
    this.droppedSinceLog = 0
    this.failuresSinceLog = 0
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve()
  }
}

/**
 * A BatchSpanProcessor (bounded queue) whose queue-full drops are counted. The SDK keeps the queue
 * in `_finishedSpans` and only logs drops through `diag`; reading the length is the one way to count.
 */
export class CountingBatchProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor
  private readonly queue: { _finishedSpans?: unknown[] }
  constructor(
    exporter: SpanExporter,
    private readonly batch: ResolvedTracingOptions['batch'],
    private readonly dropped: Counter,
  ) {
    this.inner = new BatchSpanProcessor(exporter, batch)
    this.queue = this.inner as unknown as { _finishedSpans?: unknown[] }
  }

  onStart(span: Span, parent: Context): void {
    this.inner.onStart(span, parent)
  }

  onEnd(span: ReadableSpan): void {
    if ((this.queue._finishedSpans?.length ?? 0) >= this.batch.maxQueueSize) this.dropped.inc({ reason: 'queue_full' })
    this.inner.onEnd(span)
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush()
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }
}
