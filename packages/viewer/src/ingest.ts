/**
 * @module viewer/ingest
 * Puts OTLP requests into the store without holding up the event loop: records are normalised
 * and stored in slices of a few milliseconds, each followed by `setImmediate`, so the API and the
 * pages are answered between two slices (one 16 MB request used to block the viewer for seconds).
 * Requests are taken one at a time, so at most one decoded request is in memory at once, and the
 * bodies waiting their turn are bounded by bytes: past `maxWaitingBytes` a request is refused with
 * a 503 and `Retry-After`, which OTLP exporters retry, rather than held.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { ViewerSpan } from './model.js'
import { logsOf, metricPointsOf, type NormaliseContext, spansOf } from './normalise.js'
import { decodeRequest, HttpError, type Signal } from './otlp-request.js'
import type { Store } from './store.js'

/** How long one slice may run before the event loop gets a turn. */
const SLICE_MS = 8
/** Bytes of request bodies that may wait for their turn (four of the largest accepted). */
export const MAX_WAITING_BYTES = 64 * 1024 * 1024

/**
 * @example
 * const ingest = new Ingest(store); await ingest.run('traces', 'application/json', body)
 */
export class Ingest {
  private tail: Promise<unknown> = Promise.resolve()
  private waitingBytes = 0

  /** `afterEach` runs once a request is stored (the viewer's limits report); `onSpans` with each stored slice of spans. */
  constructor(
    private readonly store: Store,
    private readonly afterEach: () => void = () => {},
    private readonly maxWaitingBytes = MAX_WAITING_BYTES,
    private readonly onSpans: (spans: readonly ViewerSpan[]) => void = () => {},
  ) {}

  /**
   * Decodes and stores one body after those before it; rejects with an `HttpError` when it is not
   * OTLP, or (503) when too many bytes already wait.
   */
  run(signal: Signal, contentType: string, body: Buffer): Promise<void> {
    if (this.waitingBytes > 0 && this.waitingBytes + body.length > this.maxWaitingBytes) {
      this.store.counters.requestsRefused++
      return Promise.reject(new HttpError(503, 'the viewer is busy storing earlier requests: retry later'))
    }
    this.waitingBytes += body.length
    const done = this.tail.then(() => this.process(signal, contentType, body))
    const settled = done.finally(() => {
      this.waitingBytes -= body.length
    })
    this.tail = settled.catch(() => undefined)
    return settled
  }

  private async process(signal: Signal, contentType: string, body: Buffer): Promise<void> {
    const request = decodeRequest(signal, contentType, body)
    const context: NormaliseContext = { limits: this.store.limits, counters: this.store.counters }
    try {
      if (signal === 'traces') {
        await inSlices(spansOf(request, context), (spans) => {
          this.store.addSpans(spans)
          this.onSpans(spans)
        })
      } else if (signal === 'logs') await inSlices(logsOf(request, context), (logs) => this.store.addLogs(logs))
      else await inSlices(metricPointsOf(request, context), (points) => this.store.addMetricPoints(points))
    } finally {
      this.afterEach()
    }
  }
}

async function inSlices<T>(records: Iterable<T>, store: (slice: T[]) => void): Promise<void> {
  let slice: T[] = []
  let started = performance.now()
  for (const record of records) {
    slice.push(record)
    if (performance.now() - started < SLICE_MS) continue
    store(slice)
    slice = []
    await nextTurn()
    started = performance.now()
  }
  store(slice)
}
