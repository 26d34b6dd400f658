/**
 * @module test/viewer/sampling.test
 * Golden signals under 10 % sampling: 20,000 requests through the real OpenTelemetry SDK with its
 * consistent probability sampler (`@opentelemetry/sampler-composite`, which writes the threshold
 * into the tracestate as `ot=th:…`), about 2,000 spans exported to the viewer. The services page,
 * in Chromium, shows the rate of all 20,000 (within 10 %), not of the 2,000 received; a service
 * whose spans carry no probability is counted as received and says so.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SpanKind } from '@opentelemetry/api'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { createComposableProbabilitySampler, createCompositeSampler } from '@opentelemetry/sampler-composite'
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Viewer } from '@sightline/viewer'
import { launchBrowser, SCREENSHOT_DIR } from './browser.js'
import { getJson, tracerFor } from './helpers.js'

const REQUESTS = 20_000
const SPREAD_MS = 50_000
const ROUTE = '/api/appointments'

describe('sampling-weighted golden signals', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let sent = 0
  let errors = 0

  before(async () => {
    base = await viewer.listen()
    browser = await launchBrowser()
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'sampled-api' }),
      sampler: createCompositeSampler(createComposableProbabilitySampler(0.1)),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), {
          maxQueueSize: REQUESTS,
          maxExportBatchSize: 512,
        }),
      ],
    })
    const tracer = provider.getTracer('sampling-test')
    const now = Date.now()
    for (let i = 0; i < REQUESTS; i++) {
      // Spread over the last 50 s: the rate is taken over the minute since the route was first seen.
      const start = now - SPREAD_MS + (i * SPREAD_MS) / REQUESTS
      const status = i % 10 === 0 ? 500 : 200
      const span = tracer.startSpan(`POST ${ROUTE}`, {
        kind: SpanKind.SERVER,
        startTime: start,
        attributes: { 'http.route': ROUTE, 'http.response.status_code': status },
      })
      span.end(start + 5)
      sent++
      if (status === 500) errors++
    }
    await provider.shutdown()
    // The same route from a service that samples without saying so: counted as received.
    const plain = tracerFor(base, 'plain-api', 'proto')
    for (let i = 0; i < 30; i++) {
      plain.tracer.startSpan(`GET ${ROUTE}`, { kind: SpanKind.SERVER, attributes: { 'http.route': ROUTE } }).end()
    }
    await plain.provider.shutdown()
    // A service that exports the request-duration histogram: every request counted there, 5 spans kept.
    const metered = tracerFor(base, 'metered-api', 'proto')
    for (let i = 0; i < 5; i++) {
      metered.tracer
        .startSpan('GET /api/metered', { kind: SpanKind.SERVER, attributes: { 'http.route': '/api/metered' } })
        .end()
    }
    await metered.provider.shutdown()
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
      exportIntervalMillis: 3_600_000,
    })
    const meters = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'metered-api' }),
      readers: [reader],
    })
    const duration = meters.getMeter('sampling-test').createHistogram('http.server.request.duration', { unit: 's' })
    for (let i = 0; i < 200; i++) {
      duration.record(0.01, {
        'http.route': '/api/metered',
        'http.request.method': 'GET',
        'http.response.status_code': i % 10 === 0 ? 500 : 200,
      })
    }
    await meters.shutdown()
  })
  after(async () => {
    await browser?.close()
    await viewer.close()
  })

  it('takes request counts and error ratios from http.server.request.duration when a service exports it', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${base}/services`)
    await page.waitForSelector('body[data-ready="true"]')
    const row = page.locator('section[data-service="metered-api"] tr[data-route="/api/metered"]')
    assert.equal(await row.getAttribute('data-source'), 'metrics')
    assert.equal(Number(await row.getAttribute('data-count')), 200)
    assert.ok(Math.abs(Number(await row.getAttribute('data-error-ratio')) - 0.1) < 1e-9)
    assert.equal(await page.locator('section[data-service="metered-api"] .badge').textContent(), 'from metrics')
    await page.close()
  })

  it('weights each span by 1 / its sampling probability: rate and errors within 10 % of the truth', async () => {
    const stats = await getJson<{ counters: { spans: number } }>(`${base}/api/stats`)
    // About 10 % of the spans reached the viewer.
    assert.ok(
      stats.counters.spans > REQUESTS * 0.08 && stats.counters.spans < REQUESTS * 0.12 + 30,
      `${stats.counters.spans}`,
    )
    const page = await browser.context.newPage()
    await page.goto(`${base}/services`)
    await page.waitForSelector('body[data-ready="true"]')
    const row = page.locator(`section[data-service="sampled-api"] tr[data-route="${ROUTE}"]`)
    const shownRate = Number(await row.getAttribute('data-rate'))
    const trueRate = sent / 60
    assert.ok(Math.abs(shownRate - trueRate) / trueRate < 0.1, `rate ${shownRate} vs true ${trueRate}`)
    const shownCount = Number(await row.getAttribute('data-count'))
    assert.ok(Math.abs(shownCount - sent) / sent < 0.1, `count ${shownCount} vs ${sent}`)
    const errorRatio = Number(await row.getAttribute('data-error-ratio'))
    assert.ok(Math.abs(errorRatio - errors / sent) < 0.03, `error ratio ${errorRatio}`)
    // The rate chart draws the same traffic: its points (requests/s per 10 s) add up to the count.
    const values = JSON.parse(
      (await page.locator('section[data-service="sampled-api"] .charts svg').first().getAttribute('data-values')) ??
        '[]',
    ) as number[]
    const charted = values.reduce((a, b) => a + b, 0) * 10
    assert.ok(Math.abs(charted - shownCount) < 1e-6 * shownCount + 1e-6, `${charted} vs ${shownCount}`)
    assert.match(
      (await page.locator('section[data-service="sampled-api"] .badge').textContent()) ?? '',
      /sampling-weighted/,
    )
    // The unsampled service: 30 spans are 30 requests, said to be from received spans.
    const plain = page.locator(`section[data-service="plain-api"] tr[data-route="${ROUTE}"]`)
    assert.equal(Number(await plain.getAttribute('data-count')), 30)
    assert.match(
      (await page.locator('section[data-service="plain-api"] .badge').textContent()) ?? '',
      /from received spans/,
    )
    // A low rate reads per minute, not "0.00 req/s".
    assert.equal(await plain.locator('td.rate').textContent(), '30/min')
    // Hovering a chart reads out the point under the pointer (paused, so no update redraws it meanwhile).
    await page.locator('#live-toggle').click()
    const chart = page.locator('section[data-service="sampled-api"] .charts svg').first()
    await chart.scrollIntoViewIfNeeded()
    const box = (await chart.boundingBox())!
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    await page.mouse.move(box.x + box.width - 6, box.y + box.height / 2)
    // The readout is the time and the value of the point under the pointer (the last bucket may be empty).
    const hovered = Number(await chart.getAttribute('data-hover'))
    const point = (JSON.parse((await chart.getAttribute('data-values')) ?? '[]') as number[])[hovered]!
    const readout = (await chart.locator('text.readout').textContent()) ?? ''
    assert.match(readout, point === 0 ? /^\S.* · 0$/ : /^\S.* · [\d.]+\/(s|min|h)$/, readout)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'services-sampled.png'), fullPage: false })
    await page.close()
  })
})
