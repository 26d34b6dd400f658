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
    traceId = simulateRequest(api, { route: '/api/appointments', status: 201, requestId: 'browser-req-1' }, logs.logger)
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

  it('shows the spans of the trace and its correlated log lines', async () => {
    const page = await open(`/traces/${traceId}`)
    const waterfall = await visibleText(page.locator('#waterfall'))
    assert.match(waterfall, /GET \/api\/appointments/)
    assert.match(waterfall, /db\.query/)
    assert.match(waterfall, /handled \/api\/appointments/)
    const logLines = await page.locator('table.logs tbody tr').allTextContents()
    assert.equal(logLines.length, 1)
    assert.match(logLines[0]!, /handled \/api\/appointments/)
    assert.match(logLines[0]!, /browser-req-1/)
    await page.locator('.wf-row').first().click()
    assert.match(await visibleText(page.locator('.details').first()), /http\.route/)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'trace.png'), fullPage: true })
    await page.close()
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
    const lines = logs.locator('table.logs tbody tr')
    assert.equal(await lines.count(), 1)
    const href = await lines.locator('a').getAttribute('href')
    assert.equal(href, `/traces/${traceId}`)
    await logs.goto(`${base}/logs`)
    await logs.waitForSelector('body[data-ready="true"]')
    await logs.screenshot({ path: join(SCREENSHOT_DIR, 'logs.png'), fullPage: false })
    await logs.close()
  })
})
