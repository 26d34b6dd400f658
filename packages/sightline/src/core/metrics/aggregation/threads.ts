/**
 * @module threads
 * worker_threads over a dedicated MessageChannel: a thread's `registry.reportTo(parentPort)`
 * hands the main thread one port (a single `{ 'sightline.metrics': 'port' }` message on
 * `parentPort`), and every question and snapshot goes over that port after, never through the
 * application's own messages. The main thread's Sightline sees every Worker made (the process'
 * `worker` event) and aggregates those that hand it a port.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads'
import type { Aggregator } from './aggregator.js'
import { FINAL_SEQ } from './aggregator.js'
import { SnapshotSender, type WireSnapshot } from './delta.js'
import { type AggregationMessage, isAggregationMessage, TAG } from './messages.js'
import type { RegistrySnapshot } from './snapshot.js'

/** Anything with `postMessage`, as `parentPort` is. */
export interface PortLike {
  postMessage(value: unknown, transferList?: readonly MessagePort[]): void
}

/**
 * The thread's side: answers the main thread with snapshots. `snapshotNow` (collectors not
 * awaited) is sent as the thread exits. Returns what stops it.
 */
export function reportToPort(
  parent: PortLike,
  snapshot: () => Promise<RegistrySnapshot>,
  snapshotNow: () => RegistrySnapshot,
  onError: (error: unknown) => void,
): () => void {
  const { port1, port2 } = new MessageChannel()
  const sender = new SnapshotSender()
  port1.on('message', (message: unknown) => {
    if (!isAggregationMessage(message) || message[TAG] !== 'ask') return
    const { seq, full } = message as { seq: number; full?: boolean }
    snapshot().then(
      (metrics) =>
        port1.postMessage({
          [TAG]: 'snapshot',
          seq,
          metrics: sender.encode(metrics, full === true),
        } satisfies AggregationMessage),
      (error) => onError(error),
    )
  })
  // The port never keeps the thread alive: the thread ends when its own work does.
  port1.unref()
  const onExit = (): void => {
    try {
      port1.postMessage({
        [TAG]: 'snapshot',
        seq: FINAL_SEQ,
        metrics: sender.encode(snapshotNow(), true),
      } satisfies AggregationMessage)
    } catch {
      // The channel is already closed: the last scrape's snapshot stands.
    }
  }
  process.once('exit', onExit)
  parent.postMessage({ [TAG]: 'port', port: port2 } satisfies AggregationMessage, [port2])
  return () => {
    process.off('exit', onExit)
    port1.close()
  }
}

/** The main thread's side: every Worker made from now on that reports is aggregated. Returns what stops it. */
export function aggregateWorkerThreads(aggregatorOf: (self: string) => Aggregator): () => void {
  const onWorker = (worker: Worker): void => {
    const id = `thread-${worker.threadId}`
    let port: MessagePort | undefined
    const onMessage = (message: unknown): void => {
      if (port !== undefined || !isAggregationMessage(message) || message[TAG] !== 'port') return
      port = (message as { port: MessagePort }).port
      const aggregator = aggregatorOf('main')
      const own = port
      own.on('message', (reply: unknown) => {
        if (!isAggregationMessage(reply) || reply[TAG] !== 'snapshot') return
        const { seq, metrics } = reply as { seq: number; metrics: WireSnapshot }
        aggregator.receive(id, seq, metrics)
      })
      own.unref()
      aggregator.join(id, (seq, full) => own.postMessage({ [TAG]: 'ask', seq, full } satisfies AggregationMessage))
    }
    worker.on('message', onMessage)
    worker.once('exit', () => {
      worker.off('message', onMessage)
      // Messages the thread sent as it exited are delivered first, so its last snapshot counts.
      setImmediate(() => {
        if (port !== undefined) aggregatorOf('main').leave(id)
        port?.close()
      })
    })
  }
  process.on('worker', onWorker)
  return () => process.off('worker', onWorker)
}
