/**
 * @module test/viewer/slo.test
 * `sightline viewer --slo`: the viewer reads doctor-api's slo.yaml, computes each objective's burn
 * from the server spans it receives (sent with the real OTLP exporter), answers it on `/api/slo`,
 * and the services page shows the objectives with those figures in headless Chromium. A bad
 * declaration is refused at start with the file and the key.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SpanKind } from '@opentelemetry/api'
import { Viewer } from '@sightline/viewer'
import { launchBrowser, SCREENSHOT_DIR } from './browser.js'
import { getJson, type TracerSetup, tracerFor } from './helpers.js'

const SLO_FILE = new URL('../../../examples/doctor-api/slo.yaml', import.meta.url).pathname

interface Burn {
  name: string
  budget: number
  windows: { window: string; requests: number; bad: number; badRatio: number; burnRate: number }[]
}

/**
 * One server span of `durationMs`, ended now. Each is exported on its own (SimpleSpanProcessor),
 * and the exporter refuses more than 30 at once: flush every 10.
 */
let sent = 0
async function request(
  setup: TracerSetup,
  method: string,
  route: string,
  status: number,
  durationMs: number,
): Promise<void> {
  const end = Date.now()
  const span = setup.tracer.startSpan(`${method} ${route}`, {
    kind: SpanKind.SERVER,
    startTime: end - durationMs,
    attributes: { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status },
  })
  span.end(end)
  if (++sent % 10 === 0) await setup.provider.forceFlush()
}

describe('viewer: declared objectives and their burn', () => {
  const viewer = new Viewer({ port: 0, slo: SLO_FILE })
  let base = ''

  before(async () => {
    base = await viewer.listen()
    const api = tracerFor(base, 'doctor-api', 'proto')
    const other = tracerFor(base, 'notifier', 'json')
    // payments-availability (99.9%): 5 of 40 payments fail → 12.5% bad, 125× the 0.1% budget.
    for (let i = 0; i < 40; i++) await request(api, 'POST', '/api/payments', i % 8 === 0 ? 503 : 201, 5)
    // patient-read-latency (99% under 250 ms): 2 of 20 reads take 300 ms → 10% bad, 10× the 1% budget.
    for (let i = 0; i < 20; i++) await request(api, 'GET', '/api/patients/:id', 200, i < 2 ? 300 : 20)
    // Not counted: another route, another method, another service. Counted and good: a 249 ms read.
    await request(api, 'GET', '/api/patients', 500, 5)
    await request(api, 'DELETE', '/api/patients/:id', 200, 900)
    await request(other, 'POST', '/api/payments', 503, 5)
    await request(api, 'GET', '/api/patients/:id', 200, 249)
    await Promise.all([api.provider.forceFlush(), other.provider.forceFlush()])
    await Promise.all([api.provider.shutdown(), other.provider.shutdown()])
  })
  after(() => viewer.close())

  it('computes the burn per window from the received spans', async () => {
    const body = await getJson<{ basis: string; objectives: Burn[] }>(`${base}/api/slo`)
    assert.match(body.basis, /received server spans/)
    const [payments, reads] = body.objectives
    assert.equal(payments?.name, 'payments-availability')
    assert.equal(payments?.budget, 0.001)
    for (const window of payments?.windows ?? []) {
      assert.deepEqual([window.requests, window.bad, window.badRatio], [40, 5, 0.125], window.window)
      assert.ok(Math.abs(window.burnRate - 125) < 1e-9, `${window.burnRate}`)
    }
    assert.equal(reads?.name, 'patient-read-latency')
    for (const window of reads?.windows ?? []) {
      assert.deepEqual([window.requests, window.bad, window.badRatio], [21, 2, 2 / 21], window.window)
      assert.ok(Math.abs(window.burnRate - 200 / 21) < 1e-9, `${window.burnRate}`)
    }
    assert.deepEqual(
      payments?.windows.map((window) => window.window),
      ['5m', '1h', '6h'],
    )
  })

  it('shows the objectives and the same figures on the services page', async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(`${base}/services`)
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
      await page.waitForSelector('section.slo tr[data-slo="payments-availability"]', { timeout: 10_000 })
      assert.deepEqual(errors, [])
      const cell = (slo: string, window: string) =>
        page.locator(`section.slo tr[data-slo="${slo}"] td[data-window="${window}"]`).textContent()
      for (const window of ['5m', '1h', '6h']) {
        assert.equal(await cell('payments-availability', window), '125× · 12.5 %')
        assert.equal(await cell('patient-read-latency', window), '9.52× · 9.5 %')
      }
      const promise = await page.locator('section.slo tr[data-slo="patient-read-latency"]').textContent()
      assert.match(promise ?? '', /GET \/api\/patients\/:id: 99% within 250 ms over 30d/)
      assert.match((await page.locator('section.slo h2').textContent()) ?? '', /from received server spans/)
      await page.locator('section.slo').screenshot({ path: join(SCREENSHOT_DIR, 'viewer-slo.png') })
    } finally {
      await browser.close()
    }
  })

  it('refuses a declaration with a mistake, naming the file and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-viewer-slo-'))
    try {
      const file = join(dir, 'slo.yaml')
      writeFileSync(
        file,
        'service: api\nobjectives:\n  - name: reads\n    sli: latency\n    thresholdSeconds: 0.3\n    objective: 99\n    window: 30d\n',
      )
      assert.throws(() => new Viewer({ port: 0, slo: file }), {
        code: 'SIGHTLINE_ERR_SLO_DECLARATION',
        message: new RegExp(
          `^${file}: objectives\\[0\\]\\.thresholdSeconds must be one of .*\\(0\\.005, .*, 10\\), received 0\\.3$`,
        ),
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
