/**
 * @module test/viewer/browser.test
 * The viewer in headless Chromium: a trace sent with the real exporter appears in `/traces`; its page
 * shows the spans and the correlated log lines; hostile strings from telemetry show as text and run
 * nothing; every page is screenshotted into docs/screenshots/.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'
import type { BrowserContext, Locator, Page } from 'playwright-core'
import { launchBrowser, SCREENSHOT_DIR } from './browser.js'
import { loggerFor, simulateRequest, tracerFor } from './helpers.js'

const SCRIPT = '<script>window.__pwned=1</script>'
const IMG = '<img src=x onerror="window.__pwned=1">'

/** What a person sees: innerText honours CSS visibility, where textContent would not. */
async function visibleText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what these tests assert on
  return locator.innerText()
}

describe('viewer in a browser', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let context: BrowserContext
  let traceId = ''
  let hostileTraceId = ''

  before(async () => {
    base = await viewer.listen()
    browser = await launchBrowser()
    context = browser.context
    // A little traffic from two services so every page has something to show.
    const api = tracerFor(base, 'doctor-api', 'proto')
    const notifier = tracerFor(base, 'notifier', 'json')
    const logs = loggerFor(base, 'doctor-api')
    for (let i = 0; i < 12; i++) {
      simulateRequest(
        api,
        { route: '/api/patients/:id', status: i % 6 === 0 ? 500 : 200, requestId: `warm-${i}` },
        logs.logger,
      )
      simulateRequest(notifier, { route: '/notify', status: 202, requestId: `warm-n-${i}` })
    }
    // Newest first is by start time: the last two start a few milliseconds apart, never in one.
    await new Promise((resolve) => setTimeout(resolve, 5))
    traceId = simulateRequest(api, { route: '/api/appointments', status: 201, requestId: 'browser-req-1' }, logs.logger)
    await new Promise((resolve) => setTimeout(resolve, 5))
    hostileTraceId = simulateRequest(
      api,
      {
        route: '/api/search',
        status: 200,
        requestId: 'hostile-1',
        attributes: { 'user.query': SCRIPT, 'user.agent': IMG },
      },
      logs.logger,
    )
    await Promise.all([api.provider.forceFlush(), notifier.provider.forceFlush(), logs.provider.forceFlush()])
    await Promise.all([api.provider.shutdown(), notifier.provider.shutdown(), logs.provider.shutdown()])
  })
  after(async () => {
    await browser?.close()
    await viewer.close()
  })

  async function open(path: string): Promise<Page> {
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${base}${path}`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    assert.deepEqual(errors, [])
    return page
  }

  it('lists the trace in /traces and links to its page', async () => {
    const page = await open('/traces?service=doctor-api')
    const row = page.locator(`tr[data-trace-id="${traceId}"]`)
    assert.equal(await row.count(), 1)
    assert.match((await row.textContent()) ?? '', /\/api\/appointments/)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'traces.png'), fullPage: false })
    await row.locator('a').click()
    await page.waitForURL(`**/traces/${traceId}`)
    await page.waitForSelector('#waterfall')
    assert.equal(await visibleText(page.locator('#trace-id')), traceId)
    await page.close()
  })

  it('lists traces and logs newest first', async () => {
    const page = await open('/traces')
    const first = page.locator('#trace-list tbody tr').first()
    // The appointment and the hostile search were the last two requests sent.
    assert.equal(await first.getAttribute('data-trace-id'), hostileTraceId)
    assert.equal(await page.locator('#trace-list tbody tr').nth(1).getAttribute('data-trace-id'), traceId)
    const starts = await page.locator('#trace-list tbody tr').evaluateAll((rows) => rows.length)
    assert.ok(starts >= 26)
    const logs = await open('/logs?service=doctor-api')
    const firstLog = await visibleText(logs.locator('table.logs tbody tr.logline').first())
    assert.match(firstLog, /handled \/api\/search/)
    await page.close()
    await logs.close()
  })

  it('opens a log line to a table of its attributes, ids linking to the trace', async () => {
    const page = await open('/logs?requestId=browser-req-1')
    const line = page.locator('table.logs tr.logline').first()
    const detail = page.locator('table.logs tr.log-detail').first()
    assert.equal(await detail.isVisible(), false)
    await line.click()
    assert.equal(await detail.isVisible(), true)
    assert.equal(await visibleText(detail.locator('tr[data-attribute="request_id"] td').nth(1)), 'browser-req-1')
    assert.equal(await visibleText(detail.locator('tr[data-attribute="trace_id"] td').nth(1)), traceId)
    assert.equal(await detail.locator('tr[data-attribute="trace_id"] a').getAttribute('href'), `/traces/${traceId}`)
    const spanId = await visibleText(detail.locator('tr[data-attribute="span_id"] td').nth(1))
    assert.match(spanId, /^[0-9a-f]{16}$/)
    assert.equal(
      await visibleText(detail.locator('tr[data-attribute="message"] td').nth(1)),
      'handled /api/appointments',
    )
    await line.click()
    assert.equal(await detail.isVisible(), false)
    await page.close()
  })

  it("shows an access line's method, path, status and error as a table", async () => {
    const logs = loggerFor(base, 'access-test')
    logs.logger.emit({
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'request completed',
      attributes: {
        method: 'POST',
        path: '/api/appointments',
        status: 503,
        error: 'upstream timed out',
        request_id: 'access-1',
      },
    })
    await logs.provider.shutdown()
    const page = await open('/logs?requestId=access-1')
    const line = page.locator('table.logs tr.logline').first()
    assert.match(await visibleText(line), /POST/)
    assert.match(await visibleText(line), /\/api\/appointments/)
    assert.match(await visibleText(line), /503/)
    await line.click()
    const detail = page.locator('table.logs tr.log-detail').first()
    const value = (key: string) => visibleText(detail.locator(`tr[data-attribute="${key}"] td`).nth(1))
    assert.equal(await value('method'), 'POST')
    assert.equal(await value('path'), '/api/appointments')
    assert.equal(await value('status'), '503')
    assert.equal(await value('error'), 'upstream timed out')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'log-detail.png'), fullPage: false })
    await page.close()
  })

  it('updates live without a reload, keeps an open log line open, and pauses', async () => {
    const page = await open('/logs?service=live-test')
    assert.equal(await page.locator('table.logs tr.logline').count(), 0)
    const logs = loggerFor(base, 'live-test')
    logs.logger.emit({ severityNumber: 9, body: 'first live line', attributes: { request_id: 'live-1' } })
    await logs.provider.forceFlush()
    await page.waitForSelector('table.logs tr.logline', { timeout: 10_000 })
    await page.locator('table.logs tr.logline').first().click()
    logs.logger.emit({ severityNumber: 9, body: 'second live line', attributes: { request_id: 'live-2' } })
    await logs.provider.forceFlush()
    await page.waitForFunction(() => document.querySelectorAll('table.logs tr.logline').length === 2, undefined, {
      timeout: 10_000,
    })
    // Newest first; the line opened before the update is still open.
    assert.match(await visibleText(page.locator('table.logs tr.logline').first()), /second live line/)
    assert.equal(await page.locator('table.logs tr.log-detail').nth(1).isVisible(), true)
    assert.equal(await page.locator('table.logs tr.log-detail').nth(0).isVisible(), false)
    await page.locator('#live-toggle').click()
    assert.equal(await page.locator('body').getAttribute('data-live'), 'paused')
    logs.logger.emit({ severityNumber: 9, body: 'third live line' })
    await logs.provider.shutdown()
    await page.waitForTimeout(4000)
    assert.equal(await page.locator('table.logs tr.logline').count(), 2, 'paused: no update')
    await page.locator('#live-toggle').click()
    await page.waitForFunction(() => document.querySelectorAll('table.logs tr.logline').length === 3, undefined, {
      timeout: 10_000,
    })
    await page.close()
  })

  it('shows the spans of the trace and its correlated log lines', async () => {
    const page = await open(`/traces/${traceId}`)
    const waterfall = await visibleText(page.locator('#waterfall'))
    assert.match(waterfall, /GET \/api\/appointments/)
    assert.match(waterfall, /db\.query/)
    assert.match(waterfall, /handled \/api\/appointments/)
    const logLines = await page.locator('table.logs tbody tr.logline').allTextContents()
    assert.equal(logLines.length, 1)
    assert.match(logLines[0]!, /handled \/api\/appointments/)
    assert.match(logLines[0]!, /browser-req-1/)
    await page.locator('.wf-row').first().click()
    assert.match(await visibleText(page.locator('.details').first()), /http\.route/)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'trace.png'), fullPage: true })
    await page.close()
  })

  it('draws the waterfall with a time axis, collapsible subtrees, span search and an attribute filter', async () => {
    const page = await open(`/traces/${traceId}`)
    const ticks = await page.locator('#waterfall .wf-tick').allTextContents()
    assert.equal(ticks.length, 5)
    assert.equal(ticks[0], '0.00 ms')
    const trace = (await (await fetch(`${base}/api/traces/${traceId}`)).json()) as { durationMs: number }
    assert.ok(ticks[4]!.length > 0 && ticks[4] !== ticks[0], `last tick ${ticks[4]}`)
    const child = page.locator('.wf-item', { hasText: 'db.query' }).first()
    assert.equal(await child.isVisible(), true)
    await page.locator('.wf-row[data-depth="0"] button.wf-toggle').click()
    assert.equal(await child.isVisible(), false, 'collapsing the server span hides its child')
    await page.locator('.wf-row[data-depth="0"] button.wf-toggle').click()
    assert.equal(await child.isVisible(), true)
    await page.fill('#span-search', 'db.query')
    assert.equal(await page.locator('.wf-row.match').count(), 1)
    assert.equal(await page.locator('#span-matches').textContent(), '1 of 2 spans match')
    await page.fill('#span-search', '')
    await page.fill('#span-filter', 'http.route=/api/appointments')
    assert.equal(await page.locator('.wf-row.match').count(), 1)
    assert.match((await page.locator('.wf-row.match').textContent()) ?? '', /GET \/api\/appointments/)
    await page.fill('#span-filter', 'http.route=/nowhere')
    assert.equal(await page.locator('.wf-row.match').count(), 0)
    await page.fill('#span-filter', '')
    assert.ok(trace.durationMs >= 0)
    await page.close()
  })

  it('opens the span a log line links to', async () => {
    const logs = await open('/logs?requestId=browser-req-1')
    await logs.locator('table.logs tr.logline').first().click()
    const href = await logs.locator('tr[data-attribute="span_id"] a').getAttribute('href')
    assert.match(href ?? '', new RegExp(`^/traces/${traceId}\\?span=[0-9a-f]{16}$`))
    await logs.goto(`${base}${href}`)
    await logs.waitForSelector('body[data-ready="true"]')
    assert.equal(await logs.locator('.wf-row.selected').count(), 1)
    assert.match(await visibleText(logs.locator('.wf-item:has(.wf-row.selected) .details')), /db\.rows|span id/)
    await logs.close()
  })

  it('renders hostile span attributes as text and runs nothing', async () => {
    const page = await open(`/traces/${hostileTraceId}`)
    await page.locator('.wf-row').first().click()
    const details = await visibleText(page.locator('.details').first())
    assert.ok(details.includes(SCRIPT), 'the <script> text is visible')
    assert.ok(details.includes(IMG), 'the <img onerror> text is visible')
    assert.equal(await page.locator('.details script, .details img').count(), 0)
    // Give an injected onerror a moment to have fired, had it been parsed as HTML.
    await page.waitForTimeout(200)
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined)
    await page.close()
  })

  it('shows golden signals per service and route, and logs linking to traces', async () => {
    const services = await open('/services')
    const text = await visibleText(services.locator('main'))
    assert.match(text, /doctor-api/)
    assert.match(text, /notifier/)
    assert.match(text, /\/api\/patients\/:id/)
    assert.ok((await services.locator('svg.spark').count()) >= 6)
    await services.screenshot({ path: join(SCREENSHOT_DIR, 'services.png'), fullPage: false })
    await services.close()

    const logs = await open('/logs?requestId=browser-req-1')
    const lines = logs.locator('table.logs tbody tr.logline')
    assert.equal(await lines.count(), 1)
    const href = await lines.locator('a').getAttribute('href')
    assert.equal(href, `/traces/${traceId}`)
    await logs.goto(`${base}/logs`)
    await logs.waitForSelector('body[data-ready="true"]')
    await logs.screenshot({ path: join(SCREENSHOT_DIR, 'logs.png'), fullPage: false })
    await logs.close()
  })
})
