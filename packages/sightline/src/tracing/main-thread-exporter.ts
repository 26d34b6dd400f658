/**
 * @module tracing/main-thread-exporter
 * The OTLP http/protobuf span exporter that encodes and sends in the application's thread
 * (`exportThread: 'main'`): Sightline's encoder, OpenTelemetry's HTTP transport. Loaded only when
 * chosen, since the transport and otlp-transformer are ~120 modules at start-up.
 */

import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
  OTLPExporterBase,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '../vendor/otlp-http.js'
import { COMPONENT_TYPE, type WorkerConfig } from './export-protocol.js'
import { encodeSpans } from './otlp-encode.js'

const serializer = {
  serializeRequest: (spans: ReadableSpan[]) => encodeSpans(spans),
  deserializeResponse: ProtobufTraceSerializer.deserializeResponse.bind(ProtobufTraceSerializer),
}

/** The exporter in the application's thread: encoding and the HTTP request both run here. */
export function createProtobufSpanExporter(config: WorkerConfig): SpanExporter {
  const options = convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' })
  return new OTLPExporterBase<ReadableSpan[]>(
    createOtlpHttpExportDelegate(options, serializer, COMPONENT_TYPE, TraceExporterMetricsHelper, undefined),
  )
}
