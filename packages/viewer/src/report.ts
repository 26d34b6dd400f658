/**
 * @module viewer/report
 * Tells the person running the viewer that its limits are cutting data: at most one line a minute,
 * with what was dropped, truncated, rejected or evicted since the last line. A busy or hostile
 * sender can trip a limit thousands of times a second; one line per event would flood the terminal.
 * The totals are always in `GET /api/stats`.
 */
import type { StoreCounters } from './counters.js'

/** The counters that mean data was cut; the others count what was received. */
const LOSSES = [
  'spansRejected',
  'spansClamped',
  'recordsRejected',
  'spansDropped',
  'attributesDropped',
  'eventsDropped',
  'keysTruncated',
  'valuesTruncated',
  'evictedForBytes',
  'futureSpans',
  'servicesEvicted',
  'routesEvicted',
  'requestsRefused',
  'errorGroupsEvicted',
  'metricSeriesDropped',
  'scrapeFailures',
] as const satisfies readonly (keyof StoreCounters)[]

export const REPORT_INTERVAL_MS = 60_000

/**
 * @example
 * const reporter = new LimitReporter(store.counters); reporter.check() // after each request
 */
export class LimitReporter {
  private reported: Record<string, number> = {}
  private lastReportMs = Number.NEGATIVE_INFINITY
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly counters: Readonly<StoreCounters>,
    private readonly write: (line: string) => void = (line) => console.warn(line),
    private readonly intervalMs = REPORT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    for (const name of LOSSES) this.reported[name] = counters[name]
  }

  /** Reports new losses now if the last report is old enough, else once it is. */
  check(): void {
    if (this.timer !== undefined || !this.changed()) return
    const wait = this.lastReportMs + this.intervalMs - this.now()
    if (wait <= 0) {
      this.report()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.report()
    }, wait)
    // A pending report must not keep the process alive.
    this.timer.unref()
  }

  close(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private changed(): boolean {
    return LOSSES.some((name) => this.counters[name] !== this.reported[name])
  }

  private report(): void {
    const parts: string[] = []
    for (const name of LOSSES) {
      const delta = this.counters[name] - (this.reported[name] ?? 0)
      if (delta > 0) parts.push(`${name} +${delta}`)
      this.reported[name] = this.counters[name]
    }
    this.lastReportMs = this.now()
    if (parts.length > 0) this.write(`sightline viewer: limits applied: ${parts.join(', ')} (totals: GET /api/stats)`)
  }
}
