/**
 * @module logging-otlp/log-export-protocol
 * The messages between the log tee (application thread) and its export worker.
 */
import type { AccessBatch } from './access-capture.js'

/** What the worker is started with. */
export interface LogWorkerConfig {
  /** Full URL of the OTLP/HTTP logs endpoint. */
  url: string
  headers: Record<string, string>
  timeoutMs: number
  /** `service.name` of lines that carry no `service` field. */
  service: string
}

/** One batch: the lines as the logger wrote them (each with its newline), encoded and sent by the worker. */
export interface LogExportRequest {
  id: number
  lines: string[]
  /** Access records' values, captured by the access log, of the worker's service (the worker encodes them). */
  access: AccessBatch | undefined
  /** When the batch left the queue: every record's observed time. */
  observedMillis: number
}

/** How a batch went: records sent (or lost, with `error`) and lines that were not JSON objects. */
export type LogExportReply =
  | { id: number; ok: true; records: number; skipped: number }
  | { id: number; ok: false; records: number; skipped: number; error: string }
