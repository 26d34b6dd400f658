/**
 * @module internals/otel-sdk
 * Every private field of OpenTelemetry's SDK that Sightline reads, in one place, each with a canary
 * in internals/canary.test.ts that fails loudly when an SDK upgrade changes it. Light spans
 * (tracing/light-span.ts) go to the processor, resource and limits the SDK's own tracer holds; when
 * these fields are gone, callers fall back to the SDK's public `startSpan`.
 */
import type { Resource } from '@opentelemetry/resources'
import type { SpanLimits, SpanProcessor } from '@opentelemetry/sdk-trace-base'

export interface SdkTracerParts {
  processor: SpanProcessor
  resource: Resource
  limits: SpanLimits
}

/** The SDK `Tracer`'s `_spanProcessor`, `_resource` and `_spanLimits`, or `undefined` without them. */
export function sdkTracerParts(tracer: unknown): SdkTracerParts | undefined {
  const parts = tracer as { _spanProcessor?: SpanProcessor; _resource?: Resource; _spanLimits?: SpanLimits }
  const { _spanProcessor: processor, _resource: resource, _spanLimits: limits } = parts
  if (processor?.onEnd === undefined || resource === undefined || limits === undefined) return undefined
  return { processor, resource, limits }
}
