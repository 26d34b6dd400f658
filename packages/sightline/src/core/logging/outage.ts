/**
 * @module outage
 * How an exporter's failures are told: when an outage begins, then at most once a minute while it
 * lasts (with what was lost since the last line), and once when it ends. Told once per process, a
 * second outage would be silent; told per failure, a collector down for an hour would write a line
 * per batch. The drop counters have every failure; these lines are for a human reading the logs.
 */

/** An outage is told at most this often while it lasts. */
export const OUTAGE_REPORT_INTERVAL_MS = 60_000

export interface OutageFields {
  /** Records lost since the last line (or, when recovered, in the whole outage). */
  records_dropped: number
  /** Failed sends since the last line (or in the whole outage). */
  failed_exports: number
}

export interface OutageListener {
  failing(error: Error, fields: OutageFields): void
  recovered(fields: OutageFields & { outage_ms: number }): void
}

export class Outage {
  private began: number | undefined
  private lastTold = 0
  private droppedSinceTold = 0
  private failuresSinceTold = 0
  private droppedInAll = 0
  private failuresInAll = 0

  constructor(
    private readonly listener: OutageListener,
    private readonly intervalMs = OUTAGE_REPORT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get ongoing(): boolean {
    return this.began !== undefined
  }

  failed(error: Error, records: number): void {
    const now = this.now()
    this.droppedSinceTold += records
    this.failuresSinceTold++
    this.droppedInAll += records
    this.failuresInAll++
    if (this.began !== undefined && now - this.lastTold < this.intervalMs) return
    this.began ??= now
    this.lastTold = now
    const fields = { records_dropped: this.droppedSinceTold, failed_exports: this.failuresSinceTold }
    this.droppedSinceTold = 0
    this.failuresSinceTold = 0
    tell(() => this.listener.failing(error, fields))
  }

  succeeded(): void {
    if (this.began === undefined) return
    const fields = {
      records_dropped: this.droppedInAll,
      failed_exports: this.failuresInAll,
      outage_ms: this.now() - this.began,
    }
    this.began = undefined
    this.droppedSinceTold = 0
    this.failuresSinceTold = 0
    this.droppedInAll = 0
    this.failuresInAll = 0
    tell(() => this.listener.recovered(fields))
  }
}

function tell(fn: () => void): void {
  try {
    fn()
  } catch {
    // Telling must never fail the exporter that failed.
  }
}
