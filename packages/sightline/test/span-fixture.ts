/**
 * @module tracing/span-fixture
 * Plain ReadableSpans for the encoder's and the exporter's tests: every field under the test's
 * control, values the SDK would refuse included.
 */
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { resourceFromAttributes } from '../src/vendor/otel-sdk.js'

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
export const RESOURCE = resourceFromAttributes({
  'service.name': 'doctor-api',
  'process.pid': 4242,
  'host.arch': 'amd64',
})
export const SCOPE = { name: 'sightline', version: undefined, schemaUrl: undefined }

/** A server span; `overrides` replace any field. */
export function span(overrides: Partial<ReadableSpan> & { spanId?: string } = {}): ReadableSpan {
  const { spanId = 'b7ad6b7169203331', ...rest } = overrides
  const context = { traceId: TRACE_ID, spanId, traceFlags: TraceFlags.SAMPLED }
  return {
    name: 'GET /api/patients/:id',
    kind: SpanKind.SERVER,
    spanContext: () => context,
    parentSpanContext: undefined,
    startTime: [1764460800, 123456789],
    endTime: [1764460800, 987654321],
    status: { code: SpanStatusCode.UNSET },
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
    links: [],
    events: [],
    duration: [0, 864197532],
    ended: true,
    resource: RESOURCE,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...rest,
  }
}
