/**
 * @module instrumentations/ioredis/commands
 * The operations one client may label: the commands ioredis knows (its own list, read once), each
 * with its histogram series made on first use and kept; anything else is `_OTHER`, so a
 * `redis.call(name)` with names from input cannot grow the series.
 */
import type { Histogram, HistogramChild } from '../../core/metrics/histogram.js'
import { OTHER } from './errors.js'

/** One operation's name and series. */
export class CommandSeries {
  private ok: HistogramChild | undefined
  private failed: Map<string, HistogramChild> | undefined

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
}

/** Every builtin command of one client, by the name ioredis gives its `Command` objects. */
export class CommandTable {
  private readonly byName = new Map<string, CommandSeries>()
  readonly other: CommandSeries

  constructor(names: readonly string[], histogram: Histogram, system: string) {
    for (const name of names) {
      const lower = name.toLowerCase()
      if (!this.byName.has(lower)) this.byName.set(lower, new CommandSeries(histogram, system, lower.toUpperCase()))
    }
    this.other = new CommandSeries(histogram, system, OTHER)
  }

  /** `redis.get()` names its command `get`; `redis.call('GET')` keeps the caller's case. */
  lookup(name: unknown): CommandSeries {
    if (typeof name !== 'string') return this.other
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase()) ?? this.other
  }
}
