/**
 * @module instrumentations/messaging/metrics
 * The messaging metrics of the OpenTelemetry conventions, one set for every broker client:
 * how long sends take, how many messages were sent and consumed, how long handlers take. Labelled
 * by system, operation, destination (folded: messaging/destinations) and error type; never by
 * message id, routing key or subject of a request's reply, which are one value per message.
 */
import type { Counter, CounterChild } from '../../core/metrics/counter.js'
import type { Histogram, HistogramChild } from '../../core/metrics/histogram.js'
import type { Registry } from '../../core/metrics/registry.js'

export const METRIC_MESSAGING_DURATION = 'messaging_client_operation_duration_seconds'
export const METRIC_MESSAGING_SENT = 'messaging_client_sent_messages_total'
export const METRIC_MESSAGING_CONSUMED = 'messaging_client_consumed_messages_total'
export const METRIC_MESSAGING_PROCESS_DURATION = 'messaging_process_duration_seconds'
/** The conventions' advice for `messaging.client.operation.duration` and `messaging.process.duration`. */
export const MESSAGING_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
const LABELS = ['messaging_system', 'messaging_operation_name', 'messaging_destination_name', 'error_type']

/** One operation on one destination: its series, resolved once per outcome. */
export class OperationSeries {
  private readonly series = new Map<string, { count: CounterChild; duration: HistogramChild }>()

  constructor(
    private readonly counter: Counter,
    private readonly histogram: Histogram,
    private readonly labels: readonly [string, string, string],
  ) {}

  /** Counts one message and observes `seconds`, under `errorType` ('' for success). */
  record(seconds: number, errorType: string): void {
    let entry = this.series.get(errorType)
    if (entry === undefined) {
      const [system, operation, destination] = this.labels
      entry = {
        count: this.counter.labels(system, operation, destination, errorType),
        duration: this.histogram.labels(system, operation, destination, errorType),
      }
      this.series.set(errorType, entry)
    }
    entry.count.inc()
    entry.duration.observe(seconds)
  }
}

/** The four metrics on one registry; asked for with the same configuration, each client shares them. */
export class MessagingMetrics {
  private readonly sent: Counter
  private readonly consumed: Counter
  private readonly duration: Histogram
  private readonly processDuration: Histogram
  private readonly operations = new Map<string, OperationSeries>()

  constructor(
    registry: Registry,
    private readonly system: string,
  ) {
    this.sent = registry.counter({
      name: METRIC_MESSAGING_SENT,
      help: 'Messages a producer sent (or tried to), by destination.',
      labelNames: LABELS,
    })
    this.consumed = registry.counter({
      name: METRIC_MESSAGING_CONSUMED,
      help: 'Messages delivered to a consumer, by destination.',
      labelNames: LABELS,
    })
    this.duration = registry.histogram({
      name: METRIC_MESSAGING_DURATION,
      help: 'Duration of messaging client operations (a send, a request and its reply), in seconds.',
      labelNames: LABELS,
      buckets: MESSAGING_DURATION_BUCKETS,
    })
    this.processDuration = registry.histogram({
      name: METRIC_MESSAGING_PROCESS_DURATION,
      help: "Duration of a consumer's handling of one message, in seconds.",
      labelNames: LABELS,
      buckets: MESSAGING_DURATION_BUCKETS,
    })
  }

  /** A send's series (`sent` and the operation's duration) for a folded destination label. */
  send(operation: string, destination: string): OperationSeries {
    return this.lookup('s', this.sent, this.duration, operation, destination)
  }

  /** A consumed message's series (`consumed` and the handler's duration). */
  process(operation: string, destination: string): OperationSeries {
    return this.lookup('p', this.consumed, this.processDuration, operation, destination)
  }

  private lookup(
    kind: string,
    counter: Counter,
    histogram: Histogram,
    operation: string,
    destination: string,
  ): OperationSeries {
    const key = `${kind}\0${operation}\0${destination}`
    let series = this.operations.get(key)
    if (series === undefined) {
      series = new OperationSeries(counter, histogram, [this.system, operation, destination])
      this.operations.set(key, series)
    }
    return series
  }
}
