/**
 * @module logging-otlp/otlp-log-tee
 * A pino destination that passes every line on unchanged (stdout stays as it is) and also queues it
 * for export as OTLP/JSON logs over HTTP. The queue is bounded and what does not fit is dropped and
 * counted by reason; batches are posted off the request path, one at a time; a failing endpoint is
 * told when the outage begins, at most once a minute while it lasts and when it ends
 * (core/logging/outage), and never reaches the app.
 */
import { request as httpsRequest } from 'node:https'
import { context } from '@opentelemetry/api'
import type { DestinationStream } from 'pino'
import { http } from '../core/builtins.js'
import { SightlineOptionError } from '../core/errors.js'
import { Outage, type OutageFields } from '../core/logging/outage.js'
import { storage } from '../core/pipeline/context.js'
import { suppressTracing } from '../vendor/otel-sdk.js'
import { encodeLogLines } from './encode.js'

export interface OtlpLogTeeOptions {
  /** Full URL of the OTLP/HTTP logs endpoint, e.g. `http://127.0.0.1:9400/v1/logs`. */
  endpoint: string
  /** Extra request headers (`Authorization` for a viewer with a token). */
  headers?: Record<string, string>
  /** `service.name` of lines that carry no `service` field. */
  service: string
  /** Lines held at most; more are dropped and counted. Default 2048. */
  maxQueue?: number
  /** Lines per request. Default 512. */
  maxBatch?: number
  /** Longest a line waits before its batch is sent. Default 1000 ms. */
  flushMs?: number
  /** Request timeout. Default 5000 ms. */
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
export class OtlpLogTee implements DestinationStream {
  private readonly inner: DestinationStream
  private readonly url: URL
  private readonly headers: Record<string, string>
  private readonly service: string
  private readonly maxQueue: number
  private readonly maxBatch: number
  private readonly flushMs: number
  private readonly timeoutMs: number
  private readonly onDropped: (reason: LogDropReason, records: number) => void
  private readonly outage: Outage
  private queue: string[] = []
  private timer: NodeJS.Timeout | undefined
  private sending: Promise<void> | undefined
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
    this.url = url
    this.headers = { ...options.headers, 'content-type': 'application/json' }
    this.service = options.service
    this.maxQueue = options.maxQueue ?? 2048
    this.maxBatch = options.maxBatch ?? 512
    this.flushMs = options.flushMs ?? 1000
    this.timeoutMs = options.timeoutMs ?? 5000
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
  }

  write(chunk: string): void {
    this.inner.write(chunk)
    // One write is one line for pino and the access log; split anyway, cheaply, in case of more.
    let start = 0
    let end = chunk.indexOf('\n')
    while (start < chunk.length) {
      if (end === -1) end = chunk.length
      if (end > start) this.enqueue(chunk.slice(start, end))
      start = end + 1
      end = chunk.indexOf('\n', start)
    }
  }

  /** Passes through to the wrapped destination (what pino and Sightline call at exit). */
  flushSync(): void {
    ;(this.inner as DestinationStream & { flushSync?: () => void }).flushSync?.()
  }

  /** Sends everything queued; resolves when the requests are done (or failed). Never rejects. */
  async forceFlush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    while (this.sending !== undefined || this.queue.length > 0) {
      if (this.sending !== undefined) await this.sending
      else this.sendNext()
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush()
  }

  private enqueue(line: string): void {
    if (this.queue.length >= this.maxQueue) {
      this.stats.dropped++
      this.onDropped('queue_full', 1)
      return
    }
    this.queue.push(line)
    this.stats.queued++
    if (this.queue.length >= this.maxBatch && this.sending === undefined) this.sendNext()
    else if (this.timer === undefined) this.enqueueTimer()
  }

  private sendNext(): void {
    const lines = this.queue.splice(0, this.maxBatch)
    if (lines.length === 0) return
    const { body, records } = encodeLogLines(lines, this.service)
    if (records < lines.length) {
      this.stats.dropped += lines.length - records
      this.onDropped('unencodable', lines.length - records)
    }
    this.sending = this.post(JSON.stringify(body)).then(
      () => {
        this.stats.exported += records
        this.outage.succeeded()
      },
      (error: Error) => {
        this.stats.dropped += records
        this.stats.failedBatches++
        this.onDropped('export_failed', records)
        this.outage.failed(error, records)
      },
    )
    void this.sending.finally(() => {
      this.sending = undefined
      // Lines that arrived while this batch was in flight go out next.
      if (this.queue.length >= this.maxBatch) this.sendNext()
      else if (this.queue.length > 0 && this.timer === undefined) this.enqueueTimer()
    })
  }

  private enqueueTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.sending === undefined) this.sendNext()
    }, this.flushMs)
    this.timer.unref()
  }

  private post(payload: string): Promise<void> {
    const request = this.url.protocol === 'https:' ? httpsRequest : http.request
    // Our own export must not be traced (nor logged) by instrumentations that honour suppression,
    // nor run in the request whose line happened to start the timer: outside every request, it
    // carries no request's ids and is seen by no request's tracing instance.
    return storage.exit(() =>
      context.with(
        suppressTracing(context.active()),
        () =>
          new Promise<void>((resolve, reject) => {
            const req = request(
              this.url,
              {
                method: 'POST',
                headers: { ...this.headers, 'content-length': Buffer.byteLength(payload) },
                timeout: this.timeoutMs,
              },
              (res) => {
                res.resume()
                res.on('end', () =>
                  res.statusCode !== undefined && res.statusCode < 300
                    ? resolve()
                    : reject(new Error(`log export to ${this.url.href} answered HTTP ${res.statusCode}`)),
                )
              },
            )
            req.on('timeout', () => req.destroy(new Error(`log export to ${this.url.href} timed out`)))
            req.on('error', reject)
            req.end(payload)
          }),
      ),
    )
  }
}
