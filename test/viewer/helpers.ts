/**
 * @module test/viewer/helpers
 * Real OpenTelemetry JS SDK pieces pointed at a viewer: tracers with the OTLP/HTTP protobuf or JSON
 * exporter, a logger with the OTLP protobuf log exporter, and a JSON fetch helper.
 */
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

export interface TracerSetup {
  provider: BasicTracerProvider
  tracer: ReturnType<BasicTracerProvider['getTracer']>
}

/** A tracer exporting every span at once to `${base}/v1/traces`, as protobuf or JSON, optionally gzipped. */
export function tracerFor(
  base: string,
  service: string,
  encoding: 'proto' | 'json',
  options: { gzip?: boolean; headers?: Record<string, string> } = {},
): TracerSetup {
  const config = {
    url: `${base}/v1/traces`,
    compression: options.gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    headers: options.headers,
  }
  const exporter = encoding === 'proto' ? new ProtoTraceExporter(config) : new JsonTraceExporter(config)
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  return { provider, tracer: provider.getTracer('viewer-test') }
}

/** A logger exporting every record at once to `${base}/v1/logs` as protobuf. */
export function loggerFor(base: string, service: string) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }) })],
  })
  return { provider, logger: provider.getLogger('viewer-test') }
}

/**
 * One request through a server span with a child, an event, an exception and log records.
 * Returns the trace id.
 */
export function simulateRequest(
  setup: TracerSetup,
  options: { route: string; status: number; requestId: string; attributes?: Record<string, string> },
  log?: ReturnType<typeof loggerFor>['logger'],
): string {
  const server = setup.tracer.startSpan(`GET ${options.route}`, {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'http.route': options.route,
      'http.response.status_code': options.status,
      request_id: options.requestId,
      ...options.attributes,
    },
  })
  const parent = trace.setSpan(context.active(), server)
  const child: Span = setup.tracer.startSpan('db.query', { kind: SpanKind.CLIENT }, parent)
  child.addEvent('rows fetched', { 'db.rows': 3 })
  if (options.status >= 500) {
    child.recordException(new Error('connection reset'))
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' })
  }
  log?.emit({
    severityNumber: options.status >= 500 ? SeverityNumber.ERROR : SeverityNumber.INFO,
    severityText: options.status >= 500 ? 'ERROR' : 'INFO',
    body: `handled ${options.route}`,
    attributes: { request_id: options.requestId },
    context: trace.setSpan(context.active(), child),
  })
  child.end()
  server.end()
  return server.spanContext().traceId
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(url, { headers })
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  return (await response.json()) as T
}
