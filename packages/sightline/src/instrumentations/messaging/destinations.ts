/**
 * @module instrumentations/messaging/destinations
 * The destination a metric series may name. Destinations are often made at run time: a reply
 * queue per client (`amq.gen-…`, RabbitMQ's server-named queues), a reply subject per request
 * (`_INBOX.…`, NATS), a queue named after a tenant. Each would be a series of its own, forever.
 * Temporary ones fold into `(temporary)`; past `maxDestinations` distinct names, new ones fold
 * into `(other)`. Spans keep the real name: a span is one operation, not a series.
 */

/** The label value of every temporary destination (reply queues and inboxes). */
export const TEMPORARY_DESTINATION = '(temporary)'
/** The label value of destinations past the cap. */
export const OTHER_DESTINATION = '(other)'
/** Distinct destination names one client labels by default. */
export const DEFAULT_MAX_DESTINATIONS = 100

/** True for a name the broker or client made for one use: RabbitMQ's `amq.gen-*`, NATS' `_INBOX.*`. */
export function isTemporaryDestination(name: string): boolean {
  return name.startsWith('amq.gen-') || name.startsWith('_INBOX.') || name === 'amq.rabbitmq.reply-to'
}

/** The names one client has labelled so far, capped. */
export class DestinationTable {
  private readonly known = new Set<string>()

  constructor(
    private readonly max: number,
    /** Extra temporary prefixes (a client's own inbox prefix). */
    private readonly temporaryPrefixes: readonly string[] = [],
  ) {}

  /** The label value for `name`: itself, `(temporary)` or `(other)`. */
  label(name: string): string {
    if (this.known.has(name)) return name
    if (this.isTemporary(name)) return TEMPORARY_DESTINATION
    if (this.known.size >= this.max) return OTHER_DESTINATION
    this.known.add(name)
    return name
  }

  isTemporary(name: string): boolean {
    if (isTemporaryDestination(name)) return true
    for (const prefix of this.temporaryPrefixes) if (name.startsWith(prefix)) return true
    return false
  }
}
