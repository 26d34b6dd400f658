/**
 * @module test/viewer/end-to-end
 * The demo as a person sees it: doctor-api and the notifier (two real processes from dist/) export
 * traces and log lines to the viewer; after one POST /api/appointments, the viewer in headless
 * Chromium shows the trace with spans of both services and the log lines of both.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Viewer } from '@sightline/viewer'
import { collectJsonLines } from '../helpers/process.js'
import { launchBrowser, SCREENSHOT_DIR } from './browser.js'
import { getJson } from './helpers.js'

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url))
const REQUEST_ID = 'e2e-viewer-1'

function startService(script: string, env: Record<string, string>): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, [`${EXAMPLES}${script}`], {
    env: { ...process.env, LOG_FORMAT: 'json', SIGHTLINE_SHUTDOWN_DELAY_MS: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let announce: (port: number) => void
  const port = new Promise<number>((resolve) => (announce = resolve))
  collectJsonLines(child, (line) => {
    if (typeof line.port === 'number' && String(line.msg).includes('listening on')) announce(line.port)
  })
  return { child, port }
}

const viewer = new Viewer({ port: 0 })
let services: ReturnType<typeof startService>[] = []
let doctorUrl = ''

before(async () => {
  const url = await viewer.listen()
  // The OTLP defaults (http/protobuf) with the viewer as the endpoint: what `npm start` does.
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_TRACES_SAMPLER_ARG: '1', OTEL_BSP_SCHEDULE_DELAY: '200' }
  const notifier = startService('notifier/dist/main.js', { ...otel, NOTIFIER_PORT: '0' })
  services.push(notifier)
  const doctor = startService('doctor-api/dist/main.js', {
    ...otel,
    PORT: '0',
    NOTIFIER_URL: `http://127.0.0.1:${await notifier.port}`,
  })
  services.push(doctor)
  doctorUrl = `http://127.0.0.1:${await doctor.port}`
})

after(async () => {
  for (const service of services.reverse()) {
    if (service.child.exitCode === null) {
      service.child.kill('SIGTERM')
      await once(service.child, 'exit')
    }
  }
  services = []
  await viewer.close()
})

interface Detail {
  traceId: string
  services: string[]
  spans: { name: string; service: string }[]
  logs: { body: string; service: string }[]
}

test('POST /api/appointments shows as one trace of both services, with both services’ log lines', async () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${doctorUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  const patient = (await (
    await post('/api/patients', { name: 'Ada', email: 'ada@example.com', date_of_birth: '1990-01-01' })
  ).json()) as { id: number }
  const response = await post(
    '/api/appointments',
    { patient_id: patient.id, doctor: 'Dr. Watson', starts_at: '2026-12-01T09:30:00Z' },
    { 'x-request-id': REQUEST_ID },
  )
  assert.equal(response.status, 201)

  // Spans leave after 200 ms, log lines within a second: wait for both services' spans and lines.
  let detail: Detail | undefined
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const found = await getJson<{ traces: { traceId: string }[] }>(`${viewer.url}/api/traces?q=${REQUEST_ID}`)
    if (found.traces[0] !== undefined) {
      detail = await getJson<Detail>(`${viewer.url}/api/traces/${found.traces[0].traceId}`)
      const ready =
        detail.spans.some((s) => s.name === 'deliver_email') &&
        detail.logs.some((l) => l.body === 'appointment created') &&
        detail.logs.some((l) => l.body === 'notification sent')
      if (ready) break
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  assert.ok(detail, 'the trace reached the viewer')
  assert.deepEqual([...detail.services].sort(), ['doctor-api', 'notifier'])

  const browser = await launchBrowser()
  try {
    const page = await browser.context.newPage()
    await page.goto(`${viewer.url}/traces?q=${REQUEST_ID}`)
    await page.waitForSelector('body[data-ready="true"]')
    await page.locator(`tr[data-trace-id="${detail.traceId}"] a`).click()
    await page.waitForURL(`**/traces/${detail.traceId}`)
    await page.waitForSelector('#waterfall')
    const waterfall = (await page.locator('#waterfall').textContent()) ?? ''
    for (const text of ['POST /api/appointments', 'process_appointment', 'POST /notify', 'deliver_email']) {
      assert.ok(waterfall.includes(text), `${text} in the waterfall`)
    }
    assert.ok(waterfall.includes('notifier') && waterfall.includes('doctor-api'))
    const logText = (await page.locator('table.logs').textContent()) ?? ''
    assert.ok(logText.includes('appointment created'), 'doctor-api line shown')
    assert.ok(logText.includes('notification sent'), 'notifier line shown')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'appointment-trace.png'), fullPage: true })
    await page.goto(`${viewer.url}/services`)
    await page.waitForSelector('body[data-ready="true"]')
    assert.ok(((await page.locator('main').textContent()) ?? '').includes('/api/appointments'))
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'appointment-services.png'), fullPage: false })
  } finally {
    await browser.close()
  }
})
