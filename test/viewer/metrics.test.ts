/**
 * @module test/viewer/metrics.test
 * The metrics page in Chromium: a counter, a gauge and a histogram sent with the real OpenTelemetry
 * JS metrics SDK (OTLP/HTTP protobuf, cumulative temporality) show exactly what was sent: the
 * counter's increase per attribute value, the gauge's values point by point, the histogram's count,
 * sum and p50/p95/p99 from its buckets. And `--scrape`: a real Sightline app's /metrics read into
 * the same page, its request count equal to the exposition's.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { Viewer } from '@sightline/viewer'
import type { Page } from 'playwright-core'
import { startApp, type TestApp } from '../conformance/apps.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { launchBrowser, SCREENSHOT_DIR } from './browser.js'
import { getJson } from './helpers.js'

const STEP_MS = 10_000
const GAUGE_VALUES = [7, 11]
/** 5 × 5 ms, 10 × 30 ms, 4 × 80 ms, 1 × 300 ms into buckets ≤10, ≤50, ≤100, ≤500, >500. */
const DURATIONS = [...Array(5).fill(5), ...Array(10).fill(30), ...Array(4).fill(80), 300] as number[]

describe('viewer metrics page', () => {
  let app: TestApp
  let viewer: Viewer
  let base = ''
  let browser: Awaited<ReturnType<typeof launchBrowser>>

  before(async () => {
    app = await startApp('http')
    viewer = new Viewer({ port: 0, scrape: `${app.url}/metrics`, scrapeIntervalMs: 3_600_000 })
    base = await viewer.listen()
    browser = await launchBrowser()
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
      exportIntervalMillis: 3_600_000,
    })
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'booking' }),
      readers: [reader],
      views: [],
    })
    const meter = provider.getMeter('metrics-test')
    const booked = meter.createCounter('appointments.booked', { unit: '{appointment}' })
    const depth = meter.createGauge('queue.depth', { unit: '{message}' })
    const latency = meter.createHistogram('booking.duration', {
      unit: 'ms',
      advice: { explicitBucketBoundaries: [10, 50, 100, 500] },
    })
    booked.add(3, { kind: 'new' })
    booked.add(4, { kind: 'follow-up' })
    for (const ms of DURATIONS) latency.record(ms, { route: '/appointments' })
    // Each gauge value in its own 10-second step of the chart.
    await sleep(STEP_MS - (Date.now() % STEP_MS) + 50)
    depth.record(GAUGE_VALUES[0]!)
    await reader.forceFlush()
    await sleep(STEP_MS - (Date.now() % STEP_MS) + 50)
    booked.add(5, { kind: 'new' })
    depth.record(GAUGE_VALUES[1]!)
    await reader.forceFlush()
    await provider.shutdown()
    for (let i = 0; i < 7; i++) await (await fetch(`${app.url}/users/${i}`)).arrayBuffer()
  })
  after(async () => {
    await browser?.close()
    await viewer?.close()
    await app?.close()
  })

  async function open(path: string): Promise<Page> {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${base}${path}`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    assert.deepEqual(errors, [])
    return page
  }

  const row = (page: Page, group: string) => page.locator(`#metric-groups tr[data-group="${group}"]`)

  it("shows a counter's increase split by an attribute, as a rate over time", async () => {
    const page = await open('/metrics?service=booking&name=appointments.booked&by=kind')
    assert.equal(Number(await row(page, 'new').getAttribute('data-total')), 8)
    assert.equal(Number(await row(page, 'follow-up').getAttribute('data-total')), 4)
    // The second export's 5 new bookings over the ~10 s since the first are a rate of about 0.5/s.
    const rate = Number(await row(page, 'new').getAttribute('data-rate'))
    assert.ok(rate > 0.3 && rate < 0.7, `rate ${rate}`)
    assert.equal(await page.locator('#metric-charts svg').count(), 2)
    await page.close()
  })

  it("charts a gauge's values as sent", async () => {
    const page = await open('/metrics?service=booking&name=queue.depth')
    const values = JSON.parse((await page.locator('#metric-charts svg').first().getAttribute('data-values')) ?? '[]')
    assert.deepEqual(values, GAUGE_VALUES)
    assert.equal(Number(await row(page, 'all').getAttribute('data-latest')), 11)
    await page.close()
  })

  it('shows a histogram as count, sum and p50/p95/p99 from its buckets', async () => {
    const page = await open('/metrics?service=booking&name=booking.duration&by=route')
    const r = row(page, '/appointments')
    assert.equal(Number(await r.getAttribute('data-count')), DURATIONS.length)
    assert.equal(
      Number(await r.getAttribute('data-sum')),
      DURATIONS.reduce((a, b) => a + b, 0),
    )
    // Interpolated in the bucket, as histogram_quantile does: rank 10 of 20 is halfway through (10, 50].
    assert.equal(Number(await r.getAttribute('data-p50')), 30)
    assert.equal(Number(await r.getAttribute('data-p95')), 100)
    assert.ok(Math.abs(Number(await r.getAttribute('data-p99')) - 420) < 1e-9)
    assert.match((await r.textContent()) ?? '', /30\.0 ms/)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'metrics.png'), fullPage: false })
    await page.close()
  })

  it("reads a Sightline app's /metrics with --scrape: the request count equals the exposition's", async () => {
    await viewer.scraper!.scrape()
    const exposition = parseMetrics(await (await fetch(`${app.url}/metrics`)).text())
    const expected = sampleValue(exposition, 'http_server_request_duration_seconds_count', {
      http_route: '/users/:id',
    })
    assert.equal(expected, 7)
    const service = new URL(app.url).host
    const view = await getJson<{ groups: { key: string; count: number }[]; kind: string }>(
      `${base}/api/metric-view?service=${encodeURIComponent(service)}&name=http_server_request_duration_seconds&by=http_route`,
    )
    assert.equal(view.kind, 'histogram')
    assert.equal(view.groups.find((g) => g.key === '/users/:id')?.count, 7)
    const page = await open(
      `/metrics?service=${encodeURIComponent(service)}&name=http_server_request_duration_seconds&by=http_route`,
    )
    assert.equal(Number(await row(page, '/users/:id').getAttribute('data-count')), 7)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'metrics-scrape.png'), fullPage: false })
    await page.close()
    const stats = await getJson<{ counters: { scrapes: number; scrapeFailures: number } }>(`${base}/api/stats`)
    assert.equal(stats.counters.scrapeFailures, 0)
  })
})
