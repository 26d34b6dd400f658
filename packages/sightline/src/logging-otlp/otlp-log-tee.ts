/**
 * @module logging-otlp/otlp-log-tee
 * A pino destination that passes every line on unchanged (stdout stays as it is) and also queues it
 * for export as OTLP/protobuf logs over HTTP. The queue is bounded by lines and by characters, and
 * what does not fit is dropped and counted by reason; batches of lines go, one at a time, to a
 * worker thread (logging-otlp/log-export-worker) that encodes and sends them, so the application's
 * thread pays a queued string per line and a message per batch; a failing endpoint is told when
 * the outage begins, at most once a minute while it lasts and when it ends (core/logging/outage),
 * and never reaches the app.
 *
 * The access log does not hand its lines to `write`: it is this tee's `AccessRecordSink`, writes its
 * line to the destination and its record's values into the tee's capture
 * (logging-otlp/access-capture), which goes to the worker with the next batch; the worker encodes
 * the records (logging-otlp/access-record).
 */
import { Worker } from 'node:worker_threads'
import type { DestinationStream } from 'pino'
import { SightlineOptionError } from '../core/errors.js'
import { Outage, type OutageFields } from '../core/logging/outage.js'
import { storage } from '../core/pipeline/context.js'
import { AccessCapture, type AccessRecordSink } from './access-capture.js'
import type { LogExportReply, LogExportRequest, LogWorkerConfig } from './log-export-protocol.js'

const WORKER_URL = new URL('./log-export-worker.js', import.meta.url)
/** Records held at most (OpenTelemetry's `OTEL_BLRP_MAX_QUEUE_SIZE` default). */
export const DEFAULT_MAX_QUEUE = 2048
/**
 * A request's timeout: shorter than OpenTelemetry's 10 s default (`OTEL_EXPORTER_OTLP_TIMEOUT`,
 * which sets it), so a collector that stopped answering holds a graceful shutdown's flush less long.
 */
export const DEFAULT_TIMEOUT_MS = 5000

export interface OtlpLogTeeOptions {
  /** Full URL of the OTLP/HTTP logs endpoint, e.g. `http://127.0.0.1:9400/v1/logs`. */
  endpoint: string
  /** Extra request headers (`Authorization` for a viewer with a token). */
  headers?: Record<string, string>
  /** `service.name` of lines that carry no `service` field. */
  service: string
  /** Lines (and access records) held at most; more are dropped and counted. Env `OTEL_BLRP_MAX_QUEUE_SIZE`. Default 2048. */
  maxQueue?: number
  /** Characters (and access records' bytes) held at most (lines of a few KB fill memory long before 2048 lines); default 4 MiB. */
  maxQueueChars?: number
  /** Lines and access records per request, at most. Env `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE`. Default 512. */
  maxBatch?: number
  /** Longest a line waits before its batch is sent. Env `OTEL_BLRP_SCHEDULE_DELAY`. Default 1000 ms. */
  flushMs?: number
  /** Request timeout. Env `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT`/`OTEL_EXPORTER_OTLP_TIMEOUT`, at most `OTEL_BLRP_EXPORT_TIMEOUT`. Default 5000 ms. */
  timeoutMs?: number
  /** An outage began (an unreachable endpoint, a rejected batch), or still lasts a minute after the last time told. */
  onError?: (error: Error, fields: OutageFields) => void
  /** The endpoint accepts batches again after an outage: what the outage cost, in all. */
  onRecovered?: (fields: OutageFields & { outage_ms: number }) => void
  /** Records dropped, by why (for `sightline_log_records_dropped_total{reason}`). */
  onDropped?: (reason: LogDropReason, records: number) => void
}

/** Why a log record was not exported: the queue was full, its batch failed, or it was not a JSON line. */
export type LogDropReason = 'queue_full' | 'export_failed' | 'unencodable'

export interface OtlpLogTeeStats {
  queued: number
  exported: number
  dropped: number
  failedBatches: number
}

/**
 * @example
 * const tee = new OtlpLogTee(pino.destination(1), { endpoint: 'http://127.0.0.1:9400/v1/logs', service: 'api' })
 * const logger = pino(tee)
 */
export class OtlpLogTee implements DestinationStream, AccessRecordSink {
  private readonly inner: DestinationStream
  private readonly config: LogWorkerConfig
  private readonly maxQueue: number
  private readonly maxQueueChars: number
  private readonly maxBatch: number
  private readonly onDropped: (reason: LogDropReason, records: number) => void
  private readonly outage: Outage
  private queue: string[] = []
  private queueChars = 0
  /** Access records' values, captured by the access log, waiting for the next batch. */
  private readonly access = new AccessCapture()
  /** One timer for the tee's lifetime, re-armed with refresh(): made here, outside every request. */
  private readonly timer: NodeJS.Timeout
  private timerArmed = false
  private worker: Worker | undefined
  private nextId = 0
  /** The batch the worker has (one at a time): its id and lines, and who waits for its answer. */
  private inFlight: { id: number; lines: number; settled: Promise<void>; settle: () => void } | undefined
  private stopped = false
  readonly stats: OtlpLogTeeStats = { queued: 0, exported: 0, dropped: 0, failedBatches: 0 }

  constructor(inner: DestinationStream, options: OtlpLogTeeOptions) {
    let url: URL
    try {
      url = new URL(options.endpoint)
    } catch {
      throw new SightlineOptionError('endpoint', 'an http(s) URL', options.endpoint)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SightlineOptionError('endpoint', 'an http(s) URL', options.endpoint)
    }
    this.inner = inner
    this.config = {
      url: url.href,
      headers: { ...options.headers },
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      service: options.service,
    }
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE
    this.maxQueueChars = options.maxQueueChars ?? 4 * 1024 * 1024
    this.maxBatch = options.maxBatch ?? 512
    const onError = options.onError ?? (() => undefined)
    const onRecovered = options.onRecovered ?? (() => undefined)
    this.outage = new Outage({ failing: onError, recovered: onRecovered })
    const onDropped = options.onDropped
    this.onDropped =
      onDropped === undefined
        ? () => undefined
        : (reason, records) => {
            try {
              onDropped(reason, records)
            } catch {
              // Counting must not fail a write.
            }
          }
    this.timer = storage.exit(() =>
      setTimeout(() => {
        this.timerArmed = false
        if (this.inFlight === undefined) this.sendNext()
      }, options.flushMs ?? 1000),
    )
    this.timer.unref()
    // At start-up, not with the first batch: a Worker made while the server serves turns the
    // property accesses its requests' emitters share megamorphic (see tracing/otlp-exporter).
    this.startWorker()
  }

  write(chunk: string): void {
    this.inner.write(chunk)
    // The line as written (one write is one line, newline included): the worker splits and parses.
    if (this.full(chunk.length)) return
    this.queue.push(chunk)
    this.queueChars += chunk.length
    this.queued()
  }

  /** The access log's line goes straight to the destination: its record comes through `beginRecord`. */
  get destination(): { write(line: string): unknown } {
    return this.inner
  }

  beginRecord(): AccessCapture | undefined {
    // A record holds a few hundred bytes; its size is known once captured, so the bound is checked before.
    return this.full(0) ? undefined : this.access
  }

  endRecord(): void {
    this.queued()
  }

  /** True (the drop counted) when the queue has no room for one more line of `chars`. */
  private full(chars: number): boolean {
    if (
      this.queue.length + this.access.count < this.maxQueue &&
      this.queueChars + this.access.bytes + chars <= this.maxQueueChars
    ) {
      return false
    }
    this.stats.dropped++
    this.onDropped('queue_full', 1)
    return true
  }

  private queued(): void {
    this.stats.queued++
    if (this.queue.length + this.access.count >= this.maxBatch && this.inFlight === undefined) this.sendNext()
    else if (!this.timerArmed) {
      this.timerArmed = true
      this.timer.refresh()
    }
  }

  /** Passes through to the wrapped destination (what pino and Sightline call at exit). */
  flushSync(): void {
    ;(this.inner as DestinationStream & { flushSync?: () => void }).flushSync?.()
  }

  /** Sends everything queued; resolves when the batches are answered (sent, or failed). Never rejects. */
  async forceFlush(): Promise<void> {
    while (this.inFlight !== undefined || this.queue.length > 0 || this.access.count > 0) {
      if (this.inFlight !== undefined) await this.inFlight.settled
      else this.sendNext()
    }
  }

  /** Flushes (each batch bounded by the request timeout), then stops the worker. */
  async shutdown(): Promise<void> {
    await this.forceFlush()
    this.stopped = true
    const worker = this.worker
    this.worker = undefined
    await worker?.terminate()
  }

  private sendNext(): void {
    if (this.queue.length === 0 && this.access.count === 0) return
    let lines: string[]
    if (this.queue.length === 0) lines = []
    else if (this.queue.length <= this.maxBatch) {
      lines = this.queue
      this.queue = []
      this.queueChars = 0
    } else {
      lines = this.queue.splice(0, this.maxBatch)
      let chars = 0
      for (const line of this.queue) chars += line.length
      this.queueChars = chars
    }
    if (this.stopped) {
      const recordCount = this.access.take()?.count ?? 0
      this.fail(lines.length + recordCount, 0, new Error('the log exporter is shut down'))
      return
    }
    // The worker before the batch: a new one is sent every route key with it.
    const worker = this.worker ?? this.startWorker()
    // At most `maxBatch` records in all (OTEL_BLRP_MAX_EXPORT_BATCH_SIZE): lines first, then access records.
    const access = this.access.take(this.maxBatch - lines.length)
    const recordCount = access?.count ?? 0
    const id = ++this.nextId
    let settle: () => void = () => undefined
    const settled = new Promise<void>((resolve) => {
      settle = resolve
    })
    this.inFlight = { id, lines: lines.length + recordCount, settled, settle }
    // While a batch is in flight the worker keeps the process alive, so a flush at shutdown completes.
    worker.ref()
    const request: LogExportRequest = { id, lines, access, observedMillis: Date.now() }
    worker.postMessage(
      request,
      access === undefined ? [] : [access.numbers.buffer as ArrayBuffer, access.ints.buffer as ArrayBuffer],
    )
  }

  private startWorker(): Worker {
    // Outside every request: the worker's events then run in no request's context.
    return storage.exit(() => {
      // execArgv: [] so that `--import sightline/register` is not run again inside the worker.
      const worker = new Worker(WORKER_URL, { execArgv: [], workerData: this.config })
      worker.unref()
      worker.on('message', (reply: LogExportReply) => this.answered(reply))
      // A worker that fails (an error at load, out of memory) fails its batch; the next batch starts another.
      worker.on('error', (error) => this.lose(worker, error))
      worker.on('exit', (code) => this.lose(worker, new Error(`the log export worker exited (${code})`)))
      // A new worker knows no route key yet.
      this.access.forgetSentRoutes()
      this.worker = worker
      return worker
    })
  }

  private answered(reply: LogExportReply): void {
    const batch = this.inFlight
    if (batch === undefined || batch.id !== reply.id) return
    if (reply.skipped > 0) {
      this.stats.dropped += reply.skipped
      this.onDropped('unencodable', reply.skipped)
    }
    if (reply.ok) {
      this.stats.exported += reply.records
      if (reply.records > 0) this.outage.succeeded()
    } else this.fail(0, reply.records, new Error(reply.error))
    this.done()
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return
    this.worker = undefined
    const batch = this.inFlight
    if (batch === undefined) return
    this.fail(batch.lines, 0, error)
    this.done()
  }

  /** Counts a failed batch: `lines` not yet encoded and `records` that were. */
  private fail(lines: number, records: number, error: Error): void {
    const lost = lines + records
    this.stats.dropped += lost
    this.stats.failedBatches++
    this.onDropped('export_failed', lost)
    this.outage.failed(error, lost)
  }

  private done(): void {
    const batch = this.inFlight
    this.inFlight = undefined
    this.worker?.unref()
    batch?.settle()
    // Lines that arrived while this batch was in flight go out next.
    const pending = this.queue.length + this.access.count
    if (pending >= this.maxBatch) this.sendNext()
    else if (pending > 0 && !this.timerArmed) {
      this.timerArmed = true
      this.timer.refresh()
    }
  }
}
