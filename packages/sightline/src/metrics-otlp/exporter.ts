/**
 * @module metrics-otlp/exporter
 * The OTLP metrics push: every interval the registry is collected as a scrape collects it (its
 * collectors run), read into data points in the temporality asked for (metrics-otlp/points),
 * encoded (metrics-otlp/encode) and queued; a worker thread (metrics-otlp/export-worker) sends one
 * request at a time. The queue is bounded by requests and by bytes: past either, the oldest request
 * is dropped (a cumulative export carries everything the dropped one did). Every lost data point
 * is counted by reason; a failing endpoint is told when the outage begins, at most once a minute
 * while it lasts, and when it ends (core/logging/outage). `forceFlush` (Sightline's shutdown)
 * collects once more and waits for the queue, within the export timeout.
 */
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { Outage, type OutageFields } from '../core/logging/outage.js'
import type { Registry } from '../core/metrics/registry.js'
import { storage } from '../core/pipeline/context.js'
import { MetricsEncoder } from './encode.js'
import type { MetricsExportReply, MetricsExportRequest, MetricsWorkerConfig } from './export-protocol.js'
import type { ExportScope, OtlpAttribute } from './model.js'
import type { ResolvedMetricsPush } from './options.js'
import { PointBuilder } from './points.js'

const WORKER_URL = new URL('./export-worker.js', import.meta.url)

/** The instrumentation scope of every pushed metric: the name Sightline's spans carry (tracing/spans). */
export const METER_SCOPE: ExportScope = { name: 'sightline', version: '' }

/** Why data points were not delivered: the queue was full, or their request failed (or waited past the timeout). */
export type MetricDropReason = 'queue_full' | 'export_failed'

export interface OtlpMetricExporterOptions {
  registry: Registry
  push: ResolvedMetricsPush
  /** The resource's attributes, the same as spans and log records carry; read before each export. */
  resource: () => readonly OtlpAttribute[] | Promise<readonly OtlpAttribute[]>
  scope: ExportScope
  /** Start of the first interval (cumulative: of every one). Default the process's start. */
  startMs?: number
  onError?: (error: Error, fields: OutageFields) => void
  onRecovered?: (fields: OutageFields & { outage_ms: number }) => void
  onDropped?: (reason: MetricDropReason, points: number) => void
  onExported?: (points: number) => void
  /** A collection that threw (not a collector: the registry contains those). */
  onCollectError?: (error: unknown) => void
}

interface Pending {
  id: number
  bytes: Uint8Array
  points: number
  /** Past this (ms since the epoch) the request is not sent any more. */
  deadline: number
}

export interface OtlpMetricExporterStats {
  exports: number
  exportedPoints: number
  droppedPoints: number
  failedExports: number
}

/**
 * @example
 * const exporter = new OtlpMetricExporter({ registry, push: resolveMetricsPush(), resource: () => [], scope })
 * await exporter.shutdown()
 */
export class OtlpMetricExporter {
  private readonly options: OtlpMetricExporterOptions
  private readonly config: MetricsWorkerConfig
  private readonly points: PointBuilder
  private readonly encoder = new MetricsEncoder()
  private readonly outage: Outage
  private readonly timer: NodeJS.Timeout
  private queue: Pending[] = []
  private queueBytes = 0
  private inFlight: Pending | undefined
  private collecting: Promise<void> | undefined
  /** Resolved each time the queue and the request in flight are both empty. */
  private idleWaiters: Array<() => void> = []
  private worker: Worker | undefined
  private nextId = 0
  private stopped = false
  readonly stats: OtlpMetricExporterStats = { exports: 0, exportedPoints: 0, droppedPoints: 0, failedExports: 0 }

  constructor(options: OtlpMetricExporterOptions) {
    this.options = options
    const { push } = options
    this.config = { url: push.endpoint, headers: { ...push.headers }, timeoutMs: push.requestTimeoutMs }
    this.points = new PointBuilder(push.temporality, options.startMs ?? performance.timeOrigin)
    this.outage = new Outage({
      failing: options.onError ?? (() => undefined),
      recovered: options.onRecovered ?? (() => undefined),
    })
    // Outside every request: the timer's and the worker's callbacks then run in no request's context.
    this.timer = storage.exit(() => setInterval(() => void this.collect(), push.intervalMs))
    this.timer.unref()
    // At start-up, not with the first export: a Worker made while the server serves turns the
    // property accesses its requests' emitters share megamorphic (see tracing/otlp-exporter).
    this.startWorker()
  }

  /** Collects and queues one export now (what the interval does). Never rejects. */
  async collect(): Promise<void> {
    if (this.stopped) return
    this.collecting ??= this.collectOnce().finally(() => {
      this.collecting = undefined
    })
    return this.collecting
  }

  /** Exports what the registry holds now and waits for the queue to empty, within the export timeout. Never rejects. */
  async forceFlush(): Promise<void> {
    await this.collect()
    await this.idle(this.options.push.timeoutMs)
  }

  /** A last export (forceFlush), then the timer and the worker stop. */
  async shutdown(): Promise<void> {
    clearInterval(this.timer)
    await this.forceFlush()
    await this.stop()
  }

  /** Stops the timer and the worker without another export (after a shutdown's flush). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.stopped = true
    const worker = this.worker
    this.worker = undefined
    await worker?.terminate()
  }

  private async collectOnce(): Promise<void> {
    try {
      const resource = await this.options.resource()
      const metrics = await withTimeout(this.options.registry.collectMetrics(), this.options.push.timeoutMs)
      const now = Date.now()
      const built = this.points.build(metrics, now)
      const points = PointBuilder.pointsOf(built)
      // Delta with nothing new: there is nothing to say.
      if (points === 0) return
      const bytes = this.encoder.encode(resource, this.options.scope, built)
      this.enqueue({ id: ++this.nextId, bytes, points, deadline: now + this.options.push.timeoutMs })
    } catch (error) {
      try {
        this.options.onCollectError?.(error)
      } catch {
        // Reporting must not fail the interval.
      }
    }
  }

  private enqueue(request: Pending): void {
    if (this.stopped) return
    const { maxQueue, maxQueueBytes } = this.options.push
    while (
      this.queue.length > 0 &&
      (this.queue.length >= maxQueue || this.queueBytes + request.bytes.byteLength > maxQueueBytes)
    ) {
      const oldest = this.queue.shift() as Pending
      this.queueBytes -= oldest.bytes.byteLength
      this.dropped('queue_full', oldest.points)
    }
    if (request.bytes.byteLength > maxQueueBytes) {
      this.dropped('queue_full', request.points)
      return
    }
    this.queue.push(request)
    this.queueBytes += request.bytes.byteLength
    this.pump()
  }

  private pump(): void {
    while (this.inFlight === undefined) {
      const next = this.queue.shift()
      if (next === undefined) {
        this.notifyIdle()
        return
      }
      this.queueBytes -= next.bytes.byteLength
      if (Date.now() > next.deadline) {
        this.fail(next, new Error(`metric export waited past its ${this.options.push.timeoutMs} ms timeout`))
        continue
      }
      this.inFlight = next
      const worker = this.worker ?? this.startWorker()
      // While a request is in flight the worker keeps the process alive, so a flush at shutdown completes.
      worker.ref()
      const message: MetricsExportRequest = { id: next.id, bytes: next.bytes }
      worker.postMessage(message, [next.bytes.buffer as ArrayBuffer])
    }
  }

  private startWorker(): Worker {
    return storage.exit(() => {
      // execArgv: [] so that `--import sightline/register` is not run again inside the worker.
      const worker = new Worker(WORKER_URL, { execArgv: [], workerData: this.config })
      worker.unref()
      worker.on('message', (reply: MetricsExportReply) => this.answered(reply))
      // A worker that fails (an error at load, out of memory) fails its request; the next one starts another.
      worker.on('error', (error) => this.lose(worker, error))
      worker.on('exit', (code) => this.lose(worker, new Error(`the metrics export worker exited (${code})`)))
      this.worker = worker
      return worker
    })
  }

  private answered(reply: MetricsExportReply): void {
    const request = this.inFlight
    if (request === undefined || request.id !== reply.id) return
    this.inFlight = undefined
    this.worker?.unref()
    if (reply.ok) {
      this.stats.exports++
      this.stats.exportedPoints += request.points
      this.safely(() => this.options.onExported?.(request.points))
      this.outage.succeeded()
    } else this.fail(request, new Error(reply.error))
    this.pump()
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return
    this.worker = undefined
    const request = this.inFlight
    if (request === undefined) return
    this.inFlight = undefined
    this.fail(request, error)
    if (!this.stopped) this.pump()
  }

  private fail(request: Pending, error: Error): void {
    this.stats.failedExports++
    this.dropped('export_failed', request.points)
    this.outage.failed(error, request.points)
  }

  private dropped(reason: MetricDropReason, points: number): void {
    this.stats.droppedPoints += points
    this.safely(() => this.options.onDropped?.(reason, points))
  }

  private idle(timeoutMs: number): Promise<void> {
    if (this.inFlight === undefined && this.queue.length === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs)
      timer.unref()
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.idleWaiters.push(done)
    })
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private safely(fn: () => void): void {
    try {
      fn()
    } catch {
      // Counting must never fail the exporter.
    }
  }
}

/**
 * `promise`, or a rejection after `ms`: a collector that never settles fails one collection
 * instead of holding every later interval behind it.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`metrics collection took longer than ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
