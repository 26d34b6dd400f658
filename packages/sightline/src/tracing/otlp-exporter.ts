/**
 * @module tracing/otlp-exporter
 * The OTLP http/protobuf span exporter. Spans are encoded here by Sightline's encoder (the bytes
 * otlp-transformer would write, at ~a quarter of the CPU) and sent by OpenTelemetry's own HTTP
 * transport in a worker thread (see tracing/export-worker for why). The exporter that sends from
 * this thread (`exportThread: 'main'`) is tracing/main-thread-exporter: a module of its own, so the
 * default path never loads OpenTelemetry's HTTP transport and otlp-transformer (~120 modules) here.
 */
import { Worker } from 'node:worker_threads'
import type { ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ExportResultCode } from '../vendor/otel-sdk.js'
import type { ExportReply, ExportRequest, WorkerConfig } from './export-protocol.js'
import { encodeSpans } from './otlp-encode.js'

const WORKER_URL = new URL('./export-worker.js', import.meta.url)

/**
 * Encodes each batch here and hands the bytes to a worker thread, which sends them. The worker
 * starts with the exporter, keeps the process alive only while a batch is in flight, and is
 * started again by the next batch if it dies; a batch in flight when it dies is reported failed.
 */
export class WorkerSpanExporter implements SpanExporter {
  private readonly config: WorkerConfig
  private worker: Worker | undefined = undefined
  private readonly pending = new Map<number, (result: ExportResult) => void>()
  private nextId = 0
  private stopped = false
  private flushWaiters: Array<() => void> = []

  constructor(config: WorkerConfig) {
    this.config = config
    // At start-up, not with the first batch: a `Worker` and its stdio streams are event emitters
    // of classes the server's requests never are. Made while the server is serving (the first
    // batch), they turned the property accesses every IncomingMessage and ServerResponse shares
    // (EventEmitter's constructor) megamorphic: ~1,000 instructions a request under callgrind at
    // 10% sampling. Made here, before the server's first request, they do not.
    this.startWorker()
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.stopped) {
      done({ code: ExportResultCode.FAILED, error: new Error('the span exporter is shut down') })
      return
    }
    let bytes: Uint8Array
    try {
      // The encoder hands over its buffer and writes the next batch into a new one, so the worker
      // can own it: transferred, not copied. It is never Buffer's shared pool (at least 256 KB).
      bytes = encodeSpans(spans)
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error })
      return
    }
    const id = ++this.nextId
    const worker = this.worker ?? this.startWorker()
    this.pending.set(id, done)
    // While a batch is in flight the worker keeps the process alive, so a flush at shutdown completes.
    if (this.pending.size === 1) worker.ref()
    const request: ExportRequest = { id, bytes, spans: spans.length }
    worker.postMessage(request, [bytes.buffer as ArrayBuffer])
  }

  /** Resolves once every batch handed over so far has been answered (sent, or failed). */
  forceFlush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.flushWaiters.push(resolve))
  }

  async shutdown(): Promise<void> {
    this.stopped = true
    await this.forceFlush()
    const worker = this.worker
    this.worker = undefined
    await worker?.terminate()
  }

  private startWorker(): Worker {
    // execArgv: [] so that `--import sightline/register` is not run again inside the worker.
    const worker = new Worker(WORKER_URL, { execArgv: [], workerData: this.config })
    worker.unref()
    worker.on('message', (reply: ExportReply) => {
      this.settle(
        reply.id,
        reply.ok
          ? { code: ExportResultCode.SUCCESS }
          : { code: ExportResultCode.FAILED, error: new Error(reply.error) },
      )
    })
    // A worker that fails (an error at load, out of memory) fails its batches; the next batch starts another.
    worker.on('error', (error) => this.lose(worker, error))
    worker.on('exit', (code) => this.lose(worker, new Error(`the span export worker exited (${code})`)))
    this.worker = worker
    return worker
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return
    this.worker = undefined
    for (const id of [...this.pending.keys()]) this.settle(id, { code: ExportResultCode.FAILED, error })
  }

  private settle(id: number, result: ExportResult): void {
    const done = this.pending.get(id)
    if (done === undefined) return
    this.pending.delete(id)
    if (this.pending.size === 0) {
      this.worker?.unref()
      const waiters = this.flushWaiters
      this.flushWaiters = []
      for (const resolve of waiters) resolve()
    }
    done(result)
  }
}
