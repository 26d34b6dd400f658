/**
 * @module test/viewer/xss
 * Every field of telemetry the pages render carries `<script>`, `<img onerror>`, `<svg onload>` and
 * `javascript:` payloads, each naming its field; every page that shows them is opened in headless
 * Chromium with the Content-Security-Policy switched off (so an injection would run, not be
 * blocked unseen), and each payload must show as text while none ran or became an element or a link.
 *
 * Rendered, and covered here: service name, span name (root and child), route, span attribute keys
 * and values, request id (span and log), status message, event names, event attribute keys and
 * values, exception attributes (and the error group they make on `/errors`), log body, log attribute
 * keys and values (the log line's detail table), metric names, units and attribute keys and values
 * (the metrics page, split by that key), and the filter values taken from the URL. Not rendered:
 * resource attributes other than `service.name` (not kept), severity text (reduced to a fixed level
 * name), and ids (hex only: the normaliser drops others).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'
import type { BrowserContext, Page } from 'playwright-core'
import { launchBrowser } from './browser.js'

/** A payload per field, so a failure names the field whose text became markup. */
function payload(field: string): string {
  const run = `window.__pwned='${field}'`
  return `<script>${run}</script><img src=x onerror="${run}"><svg onload="${run}">javascript:${run}`
}

const P = {
  service: payload('service'),
  resourceKey: payload('resource.key'),
  resourceValue: payload('resource.value'),
  spanName: payload('span.name'),
  childName: payload('child.name'),
  route: payload('route'),
  attrKey: payload('attr.key'),
  attrValue: payload('attr.value'),
  spanRequestId: payload('span.request_id'),
  statusMessage: payload('status.message'),
  eventName: payload('event.name'),
  eventKey: payload('event.key'),
  eventValue: payload('event.value'),
  exceptionMessage: payload('exception.message'),
  exceptionType: payload('exception.type'),
  exceptionFile: payload('code.file.path'),
  fingerprint: payload('sightline.error.fingerprint'),
  logBody: payload('log.body'),
  logKey: payload('log.key'),
  logValue: payload('log.value'),
  logRequestId: payload('log.request_id'),
  metricName: payload('metric.name'),
  metricUnit: payload('metric.unit'),
  metricKey: payload('metric.key'),
  metricValue: payload('metric.value'),
} as const

const TRACE_ID = 'abcdef0123456789abcdef0123456789'
const ROOT_ID = '1111111111111111'
const CHILD_ID = '2222222222222222'

const str = (key: string, value: string) => ({ key, value: { stringValue: value } })

function telemetry(): { traces: unknown; logs: unknown; metrics: unknown } {
  const start = BigInt(Date.now()) * 1_000_000n
  const ns = (ms: number) => String(start + BigInt(ms) * 1_000_000n)
  const resource = { attributes: [str('service.name', P.service), str(P.resourceKey, P.resourceValue)] }
  const root = {
    traceId: TRACE_ID,
    spanId: ROOT_ID,
    name: P.spanName,
    kind: 2,
    startTimeUnixNano: ns(0),
    endTimeUnixNano: ns(20),
    attributes: [
      str('http.route', P.route),
      str('request_id', P.spanRequestId),
      str(P.attrKey, P.attrValue),
      { key: 'http.response.status_code', value: { intValue: 500 } },
    ],
    status: { code: 2, message: P.statusMessage },
    events: [
      { name: P.eventName, timeUnixNano: ns(2), attributes: [str(P.eventKey, P.eventValue)] },
      {
        name: 'exception',
        timeUnixNano: ns(3),
        attributes: [
          str('exception.message', P.exceptionMessage),
          str('exception.type', P.exceptionType),
          str('code.file.path', P.exceptionFile),
          str('sightline.error.fingerprint', P.fingerprint),
        ],
      },
    ],
  }
  const child = {
    traceId: TRACE_ID,
    spanId: CHILD_ID,
    parentSpanId: ROOT_ID,
    name: P.childName,
    kind: 3,
    startTimeUnixNano: ns(5),
    endTimeUnixNano: ns(10),
  }
  const log = {
    timeUnixNano: ns(6),
    severityNumber: 17,
    severityText: payload('severity'),
    body: { stringValue: P.logBody },
    traceId: TRACE_ID,
    spanId: CHILD_ID,
    attributes: [str('request_id', P.logRequestId), str(P.logKey, P.logValue)],
  }
  return {
    traces: { resourceSpans: [{ resource, scopeSpans: [{ spans: [root, child] }] }] },
    logs: { resourceLogs: [{ resource, scopeLogs: [{ logRecords: [log] }] }] },
    metrics: {
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              metrics: [
                {
                  name: P.metricName,
                  unit: P.metricUnit,
                  gauge: {
                    dataPoints: [{ timeUnixNano: ns(0), asDouble: 1, attributes: [str(P.metricKey, P.metricValue)] }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  }
}

describe('viewer: hostile text in every rendered field', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let context: BrowserContext

  before(async () => {
    base = await viewer.listen()
    browser = await launchBrowser({ bypassCSP: true })
    context = browser.context
    const sent = telemetry()
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      const response = await fetch(`${base}/v1/${signal}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sent[signal]),
      })
      assert.equal(response.status, 200, signal)
    }
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
    assert.deepEqual(errors, [], path)
    return page
  }

  /** Nothing ran, nothing became an element or a link; then each expected payload shows as text. */
  async function assertInert(page: Page, expected: readonly string[]): Promise<void> {
    // Give an injected onerror or onload a moment to have fired.
    await page.waitForTimeout(150)
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined)
    const injected = await page.evaluate(
      () =>
        document.querySelectorAll(
          'main script, main img, main iframe, main object, main embed, main svg:not(.spark), [onerror], [onload]',
        ).length,
    )
    assert.equal(injected, 0, 'no payload became an element')
    const links = await page.evaluate(() =>
      [...document.querySelectorAll('a')]
        .map((a) => a.getAttribute('href') ?? '')
        .filter((href) => !href.startsWith('/')),
    )
    assert.deepEqual(links, [], 'every link is a same-origin path')
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted on
    const text = await page.locator('main').innerText()
    for (const value of expected) assert.ok(text.includes(value), `visible as text: ${value.slice(0, 60)}`)
  }

  /** The log line opens to its attributes: the hostile key and value are table cells' text, never markup. */
  async function assertLogTooltip(page: Page): Promise<void> {
    await page.locator('table.logs tr.logline').first().click()
    const cells = await page
      .locator('table.logs tr.log-detail')
      .first()
      .locator('table.attributes tr')
      .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)))
    assert.ok(
      cells.some(([key, value]) => key === P.logKey && value === P.logValue),
      'log attributes in the detail table',
    )
    await assertInert(page, [])
  }

  it('detects a payload that is parsed as HTML (the check itself can fail)', async () => {
    const page = await open('/logs')
    await page.evaluate((html) => document.querySelector('main')!.insertAdjacentHTML('beforeend', html), P.logBody)
    await page.waitForTimeout(150)
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), 'log.body')
    await page.close()
  })

  it('/services shows the service and route as text', async () => {
    const page = await open('/services')
    await assertInert(page, [P.service, P.route])
    await page.close()
  })

  it('/traces shows service, span name, route and request id as text', async () => {
    const page = await open('/traces')
    await assertInert(page, [`${P.service}: ${P.spanName}`, P.route, P.spanRequestId])
    const options = await page.locator('select[name="service"] option').allTextContents()
    assert.ok(options.includes(P.service), 'the service filter lists the name as text')
    await page.close()
  })

  it('/traces/<id> shows every span, event and log field as text', async () => {
    const page = await open(`/traces/${TRACE_ID}`)
    // Open every span's details.
    for (const row of await page.locator('.wf-row[data-span-id]').all()) await row.click()
    await assertInert(page, [
      `${P.service}: ${P.spanName}`,
      `request ${P.spanRequestId}`,
      P.childName,
      P.route,
      P.attrKey,
      P.attrValue,
      P.statusMessage,
      P.eventName,
      P.eventKey,
      P.eventValue,
      P.exceptionMessage,
      P.logBody,
      P.logRequestId,
    ])
    await assertLogTooltip(page)
    await page.close()
  })

  it('/errors shows the error type, message, frame, route, service and request id as text', async () => {
    const page = await open('/errors')
    assert.equal(await page.locator('tr.error-group').count(), 1)
    await assertInert(page, [P.exceptionType, P.exceptionMessage, P.exceptionFile, P.route, P.service, P.spanRequestId])
    await page.close()
  })

  it('/logs shows service, body and request id as text, and log attributes in the tooltip', async () => {
    const page = await open('/logs')
    await assertInert(page, [P.service, P.logBody, P.logRequestId])
    await assertLogTooltip(page)
    await page.close()
  })

  it('/metrics shows the metric name, unit and attributes as text, split by the hostile key', async () => {
    const page = await open(`/metrics?${new URLSearchParams({ name: P.metricName, by: P.metricKey })}`)
    await assertInert(page, [P.service, P.metricName, P.metricValue])
    const options = await page.locator('select[name="by"] option').allTextContents()
    assert.ok(options.includes(P.metricKey), 'the split lists the attribute key as text')
    assert.ok(((await page.locator('.card-head').textContent()) ?? '').includes(P.metricUnit), 'the unit as text')
    await page.close()
  })

  it('puts filter values from the URL into the form as values, not markup', async () => {
    const filters: Record<string, Record<string, string>> = {
      '/traces': { route: payload('filter.route'), status: payload('filter.status'), q: payload('filter.q') },
      '/logs': {
        text: payload('filter.text'),
        requestId: payload('filter.requestId'),
        traceId: payload('filter.traceId'),
      },
    }
    for (const [path, params] of Object.entries(filters)) {
      const page = await open(`${path}?${new URLSearchParams({ ...params, service: payload('filter.service') })}`)
      await assertInert(page, [])
      for (const [name, value] of Object.entries(params)) {
        assert.equal(await page.locator(`input[name="${name}"]`).inputValue(), value, `${path} ${name}`)
      }
      await page.close()
    }
  })

  it('keeps the fields that are not rendered out of the trace page, and serves metrics as JSON text', async () => {
    const metrics = (await (await fetch(`${base}/api/metrics`)).json()) as { points: { name: string }[] }
    assert.deepEqual(
      metrics.points.map((p) => p.name),
      [P.metricName],
    )
    const page = await open(`/traces/${TRACE_ID}`)
    for (const row of await page.locator('.wf-row[data-span-id]').all()) await row.click()
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted on
    const text = await page.locator('main').innerText()
    for (const value of [P.resourceKey, P.resourceValue, P.metricName, payload('severity')]) {
      assert.ok(!text.includes(value), `not rendered: ${value.slice(0, 40)}`)
    }
    await page.close()
  })
})
