/**
 * @module vendor/otlp-http
 * What the main-thread OTLP/HTTP exporter (tracing/main-thread-exporter.ts, `exportThread: 'main'`)
 * takes from OpenTelemetry's OTLP packages, bundled into one file by the build like the other
 * vendor modules, so installing Sightline does not install them.
 */
export { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base'
export { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http'
export { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
