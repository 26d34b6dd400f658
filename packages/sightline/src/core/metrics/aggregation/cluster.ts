/**
 * @module cluster
 * node:cluster over its IPC channel. A worker's Sightline says hello to the primary and answers
 * its questions with snapshots; the primary's Sightline aggregates every worker that said hello
 * (a worker without Sightline is never waited for) and serves the sum. A worker's app-port
 * `/metrics` asks the primary for the sum instead of answering with its own share.
 */
import type { Cluster, Worker } from 'node:cluster'
import type { Aggregator } from './aggregator.js'
import { FINAL_SEQ } from './aggregator.js'
import { SnapshotSender, type WireSnapshot } from './delta.js'
import { type AggregationMessage, isAggregationMessage, TAG } from './messages.js'
import type { RegistrySnapshot } from './snapshot.js'

const ignoreSendError = (): void => {}

function send(worker: Worker, message: AggregationMessage): void {
  if (worker.isConnected()) worker.send(message, ignoreSendError)
}

/**
 * The primary's side: aggregates every worker that says hello, folds in those that exit, and
 * renders the sum for a worker that asks. Returns what stops it.
 */
export function aggregateClusterWorkers(
  cluster: Cluster,
  aggregator: (self: string) => Aggregator,
  render: (openMetrics: boolean) => Promise<string>,
): () => void {
  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isAggregationMessage(message)) return
    const id = String(worker.id)
    const kind = message[TAG]
    if (kind === 'snapshot') {
      const { seq, metrics } = message as { seq: number; metrics: WireSnapshot }
      aggregator('primary').receive(id, seq, metrics)
    } else if (kind === 'hello') {
      aggregator('primary').join(id, (seq, full) => send(worker, { [TAG]: 'ask', seq, full }))
      send(worker, { [TAG]: 'welcome' })
    } else if (kind === 'render') {
      const { seq, openMetrics } = message as { seq: number; openMetrics: boolean }
      render(openMetrics === true).then(
        (body) => send(worker, { [TAG]: 'text', seq, body }),
        () => send(worker, { [TAG]: 'text', seq, error: 'the primary failed to render' }),
      )
    }
  }
  const onExit = (worker: Worker): void => aggregator('primary').leave(String(worker.id))
  cluster.on('message', onMessage)
  cluster.on('exit', onExit)
  return () => {
    cluster.off('message', onMessage)
    cluster.off('exit', onExit)
  }
}

/** The worker's side: answers the primary with this process' snapshot. */
export class ClusterReporter {
  /** Whether the primary said it aggregates (its Sightline answered the hello). */
  welcomed = false
  private readonly snapshot: () => Promise<RegistrySnapshot>
  private readonly onError: (error: unknown) => void
  private readonly sender = new SnapshotSender()
  private seq = 0
  private readonly pending = new Map<number, (reply: { body?: string; error?: string }) => void>()

  constructor(snapshot: () => Promise<RegistrySnapshot>, onError: (error: unknown) => void) {
    this.snapshot = snapshot
    this.onError = onError
  }

  start(): void {
    process.on('message', this.onMessage)
    this.post({ [TAG]: 'hello' })
  }

  stop(): void {
    process.off('message', this.onMessage)
    for (const resolve of this.pending.values()) resolve({ error: 'shutting down' })
    this.pending.clear()
  }

  /** Sends the last snapshot as the worker shuts down, so what it counted since the last scrape is kept. */
  async final(): Promise<void> {
    if (!this.welcomed) return
    const metrics = this.sender.encode(await this.snapshot(), true)
    await new Promise<void>((resolve) => {
      if (process.connected !== true) return resolve()
      process.send?.({ [TAG]: 'snapshot', seq: FINAL_SEQ, metrics } satisfies AggregationMessage, undefined, {}, () =>
        resolve(),
      )
    })
  }

  /** The cluster's aggregated exposition, rendered by the primary; rejects after `timeoutMs`. */
  renderViaPrimary(openMetrics: boolean, timeoutMs: number): Promise<string> {
    const seq = ++this.seq
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq)
        reject(new Error(`the cluster primary did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(seq, (reply) => {
        clearTimeout(timer)
        this.pending.delete(seq)
        if (reply.body !== undefined) resolve(reply.body)
        else reject(new Error(reply.error ?? 'no answer'))
      })
      this.post({ [TAG]: 'render', seq, openMetrics })
    })
  }

  private readonly onMessage = (message: unknown): void => {
    if (!isAggregationMessage(message)) return
    const kind = message[TAG]
    if (kind === 'ask') {
      const { seq, full } = message as { seq: number; full?: boolean }
      this.snapshot().then(
        (metrics) => this.post({ [TAG]: 'snapshot', seq, metrics: this.sender.encode(metrics, full === true) }),
        (error) => this.onError(error),
      )
    } else if (kind === 'welcome') {
      this.welcomed = true
    } else if (kind === 'text') {
      const reply = message as { seq: number; body?: string; error?: string }
      this.pending.get(reply.seq)?.(reply)
    }
  }

  private post(message: AggregationMessage): void {
    if (process.connected === true) process.send?.(message, undefined, {}, ignoreSendError)
  }
}
