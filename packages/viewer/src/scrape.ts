/**
 * @module viewer/scrape
 * `--scrape URL`: reads a Prometheus endpoint every interval into the store, beside what arrives
 * over OTLP. One request at a time (a slow endpoint is not asked again before it answered), a
 * timeout of the interval, a cap on the body; each scrape and each failure is counted
 * (`scrapes`, `scrapeFailures` in `/api/stats`), and failures are reported at most once a minute.
 */
import { parseExposition } from './prometheus.js'
import type { Store } from './store.js'

/** The largest exposition read; past it the scrape fails (a /metrics page is kilobytes). */
export const MAX_SCRAPE_BYTES = 16 * 1024 * 1024
const REPORT_EVERY_MS = 60_000

/**
 * @example
 * const scraper = new Scraper(new URL('http://127.0.0.1:3000/metrics'), 15_000, store); scraper.start()
 */
export class Scraper {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private lastReport = Number.NEGATIVE_INFINITY
  private readonly service: string

  constructor(
    readonly url: URL,
    readonly intervalMs: number,
    private readonly store: Store,
    private readonly report: (line: string) => void = (line) => console.warn(line),
  ) {
    // The points are shown under the endpoint's host:port, as Prometheus' `instance` label names it.
    this.service = url.host
  }

  start(): void {
    void this.scrape()
    this.timer = setInterval(() => void this.scrape(), this.intervalMs)
    this.timer.unref()
  }

  /** One scrape now (tests, and the first at start); resolves when stored or failed. */
  scrape(): Promise<void> {
    this.running ??= this.once().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  private async once(): Promise<void> {
    const counters = this.store.counters
    counters.scrapes++
    try {
      const response = await fetch(this.url, {
        headers: { accept: 'text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5' },
        signal: AbortSignal.timeout(Math.min(this.intervalMs, 30_000)),
      })
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
      if (Number(response.headers.get('content-length') ?? 0) > MAX_SCRAPE_BYTES) throw new Error('body too large')
      const text = await response.text()
      if (text.length > MAX_SCRAPE_BYTES) throw new Error('body too large')
      const limits = this.store.limits
      this.store.addMetricPoints(parseExposition(text, this.service, Date.now(), limits, counters))
    } catch (error) {
      counters.scrapeFailures++
      const now = Date.now()
      if (now - this.lastReport >= REPORT_EVERY_MS) {
        this.lastReport = now
        this.report(
          `sightline viewer: scraping ${this.url.origin}${this.url.pathname} failed (${counters.scrapeFailures} of ${counters.scrapes} so far): ${(error as Error).message}`,
        )
      }
    }
  }
}
