/**
 * @module metrics-otlp/export-protocol
 * The messages between the metrics exporter (application thread) and its export worker.
 */
import type { OtlpTarget } from '../core/otlp/post.js'

/** What the worker is started with: the URL, headers and one request's timeout. */
export type MetricsWorkerConfig = OtlpTarget

/** One encoded `ExportMetricsServiceRequest`, to be posted. */
export interface MetricsExportRequest {
  id: number
  bytes: Uint8Array
}

export type MetricsExportReply = { id: number; ok: true } | { id: number; ok: false; error: string }
