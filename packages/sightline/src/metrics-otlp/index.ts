/**
 * @module metrics-otlp
 * The OTLP/HTTP metrics push (protobuf, sent from a worker thread), beside or instead of the
 * Prometheus pull: on with `OTEL_METRICS_EXPORTER=otlp` (or `metricsExporter: 'otlp'`).
 */
export { MetricsEncoder } from './encode.js'
export { METER_SCOPE, type MetricDropReason, OtlpMetricExporter, type OtlpMetricExporterOptions } from './exporter.js'
export type { ExportMetric, HistogramPoint, NumberPoint, OtlpAttribute } from './model.js'
export {
  DEFAULT_METRICS_ENDPOINT,
  type MetricsExporterName,
  type MetricsPushOptions,
  type ResolvedMetricsPush,
  resolveMetricsExporters,
  resolveMetricsPush,
} from './options.js'
export { PointBuilder, type TemporalityPreference } from './points.js'
