/**
 * @module vendor/otel-sdk
 * Every value Sightline's code in the application's thread takes from the OpenTelemetry SDK
 * packages, in one module. The build bundles it into one file (scripts/bundle-vendor.mjs): ~90
 * modules, each resolved, read and compiled on its own, were the largest part of what the zero-code
 * launcher added to an app's start. The export worker imports @opentelemetry/core itself: its
 * OTLP transport loads that package in the worker anyway.
 * `@opentelemetry/api` stays external: its globals are shared with the application's copy.
 * Unbundled (as tsc emits it) it is a plain re-export, so behaviour never depends on the bundling.
 */
export { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
export {
  CompositePropagator,
  ExportResultCode,
  isAttributeValue,
  isTimeInput,
  isTracingSuppressed,
  sanitizeAttributes,
  suppressTracing,
  timeInputToHrTime,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
export { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
export {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
