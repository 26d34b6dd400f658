/**
 * @module tracing/export-protocol
 * The messages between the span exporter (main thread) and its export worker.
 */

/** The component type OpenTelemetry's http span exporter reports in its self-observability metrics. */
export const COMPONENT_TYPE = 'otlp_http_span_exporter'

/** What the worker is started with: the exporter's URL and its timeout, retries included. */
export interface WorkerConfig {
  url: string
  timeoutMillis: number
}

/** One batch: its OTLP/protobuf bytes and how many spans they hold. */
export interface Batch {
  bytes: Uint8Array
  spans: number
}

export interface ExportRequest extends Batch {
  id: number
}

export type ExportReply = { id: number; ok: true } | { id: number; ok: false; error: string }
