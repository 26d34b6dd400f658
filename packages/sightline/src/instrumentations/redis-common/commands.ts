/**
 * @module instrumentations/redis-common/commands
 * The operations one Redis client may label: the commands its library knows (a list read once
 * from the client), each with its histogram series made on first use and kept, and its
 * `db.query.text` by argument count (`SET ? ?`) made once; anything else is `_OTHER`, so a raw
 * command with a name from input cannot grow the series.
 */
import type { Histogram, HistogramChild } from '../../core/metrics/histogram.js'
import { OTHER } from './errors.js'

/** Placeholders written before the text says only that more follow: `MSET ? ? … ?` stays short. */
const MAX_PLACEHOLDERS = 8

/** One operation's name, series and query texts. */
export class CommandSeries {
  private ok: HistogramChild | undefined
  private failed: Map<string, HistogramChild> | undefined
  private readonly texts: string[] = []

  constructor(
    private readonly histogram: Histogram,
    private readonly system: string,
    /** `db.operation.name`: the command in capitals, as Redis documents it. */
    readonly operation: string,
  ) {}

  /** The series for `errorType` ('' for success), resolved once. */
  series(errorType: string): HistogramChild {
    if (errorType === '') {
      this.ok ??= this.histogram.labels(this.system, this.operation, '', '')
      return this.ok
    }
    this.failed ??= new Map()
    let series = this.failed.get(errorType)
    if (series === undefined) {
      series = this.histogram.labels(this.system, this.operation, '', errorType)
      this.failed.set(errorType, series)
    }
    return series
  }

  /**
   * `db.query.text`: the command and a `?` per argument, never an argument (keys and values are
   * the application's data); past `MAX_PLACEHOLDERS` arguments, `…` ends it.
   */
  text(argCount: number): string {
    const slot = argCount > MAX_PLACEHOLDERS ? MAX_PLACEHOLDERS + 1 : Math.max(argCount, 0)
    let text = this.texts[slot]
    if (text === undefined) {
      text = this.operation + ' ?'.repeat(Math.min(slot, MAX_PLACEHOLDERS)) + (slot > MAX_PLACEHOLDERS ? ' …' : '')
      this.texts[slot] = text
    }
    return text
  }
}

/** Every command one client's library knows, by name in either case. */
export class CommandTable {
  private readonly byName = new Map<string, CommandSeries>()
  readonly other: CommandSeries

  constructor(names: Iterable<string>, histogram: Histogram, system: string) {
    for (const name of names) {
      const upper = name.toUpperCase()
      if (this.byName.has(upper)) continue
      const series = new CommandSeries(histogram, system, upper)
      this.byName.set(upper, series)
      this.byName.set(name.toLowerCase(), series)
    }
    this.other = new CommandSeries(histogram, system, OTHER)
  }

  /** ioredis names `redis.get()`'s command `get`, node-redis `GET`; a raw command keeps the caller's case. */
  lookup(name: unknown): CommandSeries {
    if (typeof name !== 'string') return this.other
    return this.byName.get(name) ?? this.byName.get(name.toUpperCase()) ?? this.other
  }
}

/** Longest command name read from a Buffer: every Redis command name is shorter. */
const MAX_NAME_BYTES = 32

/** A command's name as sent: a string as it is, a short Buffer (node-redis accepts both) as Latin-1. */
export function commandName(first: unknown): string | undefined {
  if (typeof first === 'string') return first
  if (first instanceof Uint8Array && first.length <= MAX_NAME_BYTES) return Buffer.from(first).toString('latin1')
  return undefined
}
