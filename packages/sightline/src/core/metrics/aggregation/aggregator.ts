/**
 * @module aggregator
 * The primary's (or main thread's) side of aggregation: asks every worker for a snapshot at each
 * scrape, waits at most `timeoutMs` (a worker that does not answer is reported from its last
 * snapshot, and counted), and keeps what an exited worker had counted, so no counter goes down.
 * Transports (node:cluster IPC, worker_threads ports) only deliver messages to it.
 */
import { METRIC_AGGREGATION_RETIRED, METRIC_AGGREGATION_STALE, METRIC_AGGREGATION_WORKERS } from '../../constants.js'
import type { Counter } from '../counter.js'
import type { GaugeChild } from '../gauge.js'
import type { Registry } from '../registry.js'
import { resolveSnapshot, type WireSnapshot } from './delta.js'
import { Accumulator, SeriesCaps } from './merge.js'
import type { HistogramSeries, MetricSnapshot, RegistrySnapshot, ScalarSeries } from './snapshot.js'

/** Sent by a worker with its last snapshot as it shuts down: newer than any answer. */
export const FINAL_SEQ = Number.MAX_SAFE_INTEGER

interface Peer {
  /** Asks for a snapshot; `full`: every metric, none given as unchanged (delta.ts). */
  readonly request: (seq: number, full: boolean) => void
  latest: RegistrySnapshot | undefined
  latestSeq: number
  /**
   * The last snapshot to arrive, whatever its `seq`: what the worker's next one names metrics as
   * unchanged from (it encodes each answer as it sends it, and the channel keeps their order).
   */
  baseline: RegistrySnapshot | undefined
  /** One of its answers could not be resolved: the next question asks for every metric. */
  needsFull: boolean
  readonly waiting: Map<number, () => void>
}

/** One metric's inputs at the last scrape (the very objects) and what they merged into. */
interface Merged {
  inputs: MetricSnapshot[]
  workers: (string | undefined)[]
  result: MetricSnapshot | undefined
}

export interface AggregatorOptions {
  /** Longest wait for a worker's answer in one scrape. */
  timeoutMs: number
  maxSeries: number
  /** Told when two processes define one metric differently (that process' series are left out). */
  onConflict: (metric: string, worker: string | undefined) => void
}

export class Aggregator {
  private readonly peers = new Map<string, Peer>()
  private readonly caps: SeriesCaps
  private readonly retired: Accumulator
  /** What the workers that exited left, as of the last one (result() makes new objects: made once). */
  private retiredSnapshot: RegistrySnapshot = []
  private merged = new Map<string, Merged>()
  private readonly options: AggregatorOptions
  private readonly answered: GaugeChild
  private readonly staleGauge: GaugeChild
  private readonly staleTotal: Counter
  private readonly retiredTotal: Counter
  private seq = 0

  constructor(registry: Registry, options: AggregatorOptions) {
    this.options = options
    this.caps = new SeriesCaps(options.maxSeries)
    this.retired = new Accumulator(this.caps, options.onConflict)
    const workers = registry.gauge({
      name: METRIC_AGGREGATION_WORKERS,
      help: 'Workers summed into the last scrape, by whether they answered in time (stale: reported from their last snapshot).',
      labelNames: ['state'],
    })
    this.answered = workers.labels('answered')
    this.staleGauge = workers.labels('stale')
    this.staleTotal = registry.counter({
      name: METRIC_AGGREGATION_STALE,
      help: 'Times a worker did not answer a scrape in time and was reported from its last snapshot.',
    })
    this.retiredTotal = registry.counter({
      name: METRIC_AGGREGATION_RETIRED,
      help: 'Workers that exited; their last counters and histograms stay in the sums.',
    })
  }

  get size(): number {
    return this.peers.size
  }

  /** A worker that will answer `request(seq, full)` with `receive(id, seq, snapshot)`. */
  join(id: string, request: (seq: number, full: boolean) => void): void {
    if (this.peers.has(id)) return
    this.peers.set(id, {
      request,
      latest: undefined,
      latestSeq: -1,
      baseline: undefined,
      needsFull: false,
      waiting: new Map(),
    })
  }

  /** A worker's snapshot, answering `seq` (or `FINAL_SEQ`, sent as it shuts down). */
  receive(id: string, seq: number, wire: WireSnapshot): void {
    const peer = this.peers.get(id)
    if (peer === undefined || !Array.isArray(wire)) return
    const snapshot = resolveSnapshot(wire, peer.baseline)
    if (snapshot === undefined) {
      // It named a metric as unchanged that this side does not hold: asked again, for all of them
      // (now, if a scrape still waits for this answer; else at the next scrape).
      peer.needsFull = true
      if (seq !== FINAL_SEQ && peer.waiting.has(seq)) this.ask(peer, seq)
      return
    }
    peer.baseline = snapshot
    // A late answer is still the newest this worker sent: kept for the next scrape.
    if (seq > peer.latestSeq) {
      peer.latest = snapshot
      peer.latestSeq = seq
    }
    peer.waiting.get(seq)?.()
  }

  /** A worker exited: its counters and histograms are folded into what the exited ones left. */
  leave(id: string): void {
    const peer = this.peers.get(id)
    if (peer === undefined) return
    this.peers.delete(id)
    if (peer.latest !== undefined) {
      this.addSafely(this.retired, peer.latest, undefined, true)
      this.retiredSnapshot = this.retired.result()
    }
    this.retiredTotal.inc()
    for (const resolve of peer.waiting.values()) resolve()
  }

  /**
   * Asks every worker, waits at most the timeout, and returns this process' snapshot (`own`,
   * taken once the answers are in, so the workers gauge is current) summed with theirs.
   */
  async gather(own: () => RegistrySnapshot): Promise<RegistrySnapshot> {
    const seq = ++this.seq
    // A worker that sent its final snapshot is shutting down: not asked again, its last word stands.
    const peers = [...this.peers.entries()].filter(([, peer]) => peer.latestSeq !== FINAL_SEQ)
    const answered = new Set<Peer>()
    const answers = peers.map(
      ([, peer]) =>
        new Promise<void>((resolve) => {
          peer.waiting.set(seq, () => {
            answered.add(peer)
            resolve()
          })
          this.ask(peer, seq)
        }),
    )
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.timeoutMs)
    })
    await Promise.race([Promise.all(answers), timedOut])
    clearTimeout(timer)
    for (const [, peer] of peers) peer.waiting.delete(seq)
    // Counted over the workers still there: one that exited meanwhile is in the retired sums.
    let stale = 0
    for (const [id, peer] of peers) if (this.peers.has(id) && !answered.has(peer)) stale++
    let current = 0
    for (const peer of this.peers.values()) if (peer.latestSeq === FINAL_SEQ || answered.has(peer)) current++
    this.answered.set(current)
    this.staleGauge.set(stale)
    if (stale > 0) this.staleTotal.inc(stale)

    return this.merge(own())
  }

  /**
   * This process', the retired workers' and every worker's latest snapshot summed, metric by
   * metric; a metric whose inputs are the very objects of the last scrape keeps its last result.
   */
  private merge(own: RegistrySnapshot): RegistrySnapshot {
    const inputs = new Map<string, { inputs: MetricSnapshot[]; workers: (string | undefined)[] }>()
    const gather = (snapshot: RegistrySnapshot, worker: string | undefined): void => {
      if (!Array.isArray(snapshot)) return
      for (const metric of snapshot) {
        const name = typeof metric?.name === 'string' ? metric.name : ''
        let one = inputs.get(name)
        if (one === undefined) {
          one = { inputs: [], workers: [] }
          inputs.set(name, one)
        }
        one.inputs.push(metric)
        one.workers.push(worker)
      }
    }
    gather(own, undefined)
    gather(this.retiredSnapshot, undefined)
    for (const [id, peer] of this.peers) if (peer.latest !== undefined) gather(peer.latest, id)

    const out: RegistrySnapshot = []
    const merged = new Map<string, Merged>()
    for (const [name, one] of inputs) {
      const last = this.merged.get(name)
      let entry: Merged
      if (last !== undefined && sameInputs(last, one.inputs, one.workers)) entry = last
      else {
        const acc = new Accumulator(this.caps, this.options.onConflict)
        for (let i = 0; i < one.inputs.length; i++)
          this.addSafely(acc, [one.inputs[i] as MetricSnapshot], one.workers[i])
        entry = { inputs: one.inputs, workers: one.workers, result: acc.result()[0] }
        keepMonotonic(entry.result, last?.result)
      }
      merged.set(name, entry)
      if (entry.result !== undefined) out.push(entry.result)
    }
    this.merged = merged
    return out
  }

  /** Asks for every metric when this side holds none of the worker's or lost track of them. */
  private ask(peer: Peer, seq: number): void {
    const full = peer.needsFull || peer.baseline === undefined
    peer.needsFull = false
    try {
      peer.request(seq, full)
    } catch {
      // A channel closing as the worker exits: its exit folds it in.
    }
  }

  /** A snapshot that is not what a Sightline sends (another library's message, a bug) is told, never thrown into the scrape. */
  private addSafely(acc: Accumulator, snapshot: RegistrySnapshot, id: string | undefined, monotonicOnly = false): void {
    try {
      acc.add(snapshot, id, monotonicOnly)
    } catch {
      this.options.onConflict('(malformed snapshot)', id)
    }
  }
}

/** How far below the last scrape a merged sum may come out from rounding alone, relative to it. */
const ROUNDING = 1e-12

/**
 * A counter's value or a histogram's sum, merged from several processes, is a float sum whose
 * order changes when a worker exits (its counts move into the retired sums): it can come out a few
 * ulps below the last scrape's. Prometheus reads any decrease as a counter reset, so a drop that
 * small keeps the last value; a larger one (which summing never makes) is left to show.
 */
function keepMonotonic(result: MetricSnapshot | undefined, last: MetricSnapshot | undefined): void {
  if (result === undefined || last === undefined || result.type !== last.type) return
  if (result.type !== 'counter' && result.type !== 'histogram') return
  const index = result.type === 'counter' ? 1 : 2
  const before = new Map<string, number>()
  for (const series of last.series as (ScalarSeries | HistogramSeries)[]) before.set(series[0], series[index] as number)
  for (const series of result.series as (ScalarSeries | HistogramSeries)[]) {
    const old = before.get(series[0])
    const value = series[index] as number
    if (old !== undefined && value < old && old - value <= Math.abs(old) * ROUNDING) series[index] = old
  }
}

function sameInputs(last: Merged, inputs: MetricSnapshot[], workers: (string | undefined)[]): boolean {
  if (last.inputs.length !== inputs.length) return false
  for (let i = 0; i < inputs.length; i++)
    if (last.inputs[i] !== inputs[i] || last.workers[i] !== workers[i]) return false
  return true
}
