/**
 * @module test/viewer/errors.test
 * Error groups end to end, in headless Chromium: a real Sightline service (a Fastify fixture run
 * as a child process with source maps) exports its spans and log lines to the viewer; 100
 * identical route errors (ids in the messages differ) are one group of 100, an uncaught exception
 * and an unhandled rejection (each crashing a process: crash capture's fatal line) one group each.
 * The Errors page shows exactly these counts, the top frames as `src/….ts:line`, and a link that
 * opens an example trace; `/metrics` counted the 100 in `sightline_errors_total`.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Viewer } from '@sightline/viewer'
import { collectJsonLines, type JsonLine } from '../helpers/process.js'
import { launchBrowser, SCREENSHOT_DIR } from './browser.js'
import { getJson } from './helpers.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/errors-app/main.js', import.meta.url))
/** The application's root: its sources, which the source-mapped frames are relative to. */
const APP_ROOT = fileURLToPath(new URL('../../fixtures/errors-app/', import.meta.url))
const ROUTE_ERRORS = 100

interface Group {
  fingerprint: string
  type: string
  message: string
  frame: string
  route: string
  count: number
  examples: { traceId: string; requestId: string }[]
}

interface Started {
  child: ChildProcess
  url: string
  lines: JsonLine[]
  exited: Promise<number | null>
}

async function start(base: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--enable-source-maps', FIXTURE], {
    cwd: APP_ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: base,
      OTEL_TRACES_SAMPLER: 'always_on',
      SIGHTLINE_RUNTIME_METRICS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  let announce: (port: number) => void
  const port = new Promise<number>((resolve) => (announce = resolve))
  const lines = collectJsonLines(child, (line) => {
    if (line.msg === 'listening') announce(line.port as number)
  })
  const failed = exited.then((code) => {
    throw new Error(`fixture exited (${code}) before listening: ${stderr}`)
  })
  return { child, url: `http://127.0.0.1:${await Promise.race([port, failed])}`, lines, exited }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('error groups in the viewer, from a real service', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let groups: Group[] = []
  let metricsText = ''
  const requestIds: string[] = []

  before(async () => {
    base = await viewer.listen()
    const app = await start(base)
    try {
      for (let i = 0; i < ROUTE_ERRORS; i++) {
        const response = await fetch(`${app.url}/payments/pay_${1000 + i}`)
        assert.equal(response.status, 500)
        requestIds.push(response.headers.get('x-request-id') ?? '')
        await response.arrayBuffer()
      }
      metricsText = await (await fetch(`${app.url}/metrics`)).text()
      // The uncaught exception: thrown from a timer while its request waits; the process exits.
      await fetch(`${app.url}/ledger/sync`, { method: 'POST' }).catch(() => undefined)
      assert.equal(await app.exited, 1)
    } finally {
      app.child.kill()
    }
    // The unhandled rejection, outside any request, in a second process.
    const second = await start(base, { CRASH_AT_START: 'reject' })
    assert.equal(await second.exited, 1)
    assert.ok(
      second.lines.some((line) => line.level === 'fatal' && line.kind === 'unhandledRejection'),
      'crash capture wrote the fatal line',
    )
    await waitFor('three error groups with every occurrence', async () => {
      const body = await getJson<{ groups: Group[] }>(`${base}/api/errors`)
      const total = body.groups.reduce((sum, group) => sum + group.count, 0)
      return body.groups.length >= 3 && total >= ROUTE_ERRORS + 2 ? true : undefined
    })
    // A moment more for a late duplicate (an error's span after its log line) to have counted, had it.
    await new Promise((resolve) => setTimeout(resolve, 500))
    groups = (await getJson<{ groups: Group[] }>(`${base}/api/errors`)).groups
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await viewer.close()
  })

  it('groups 100 route errors with different ids into one group, and each crash into its own', () => {
    assert.deepEqual(
      groups.map((group) => [group.type, group.count]).sort(),
      [
        ['Error', 1],
        ['Error', ROUTE_ERRORS],
        ['TypeError', 1],
      ],
      JSON.stringify(groups.map(({ examples, ...group }) => group)),
    )
    const route = groups.find((group) => group.count === ROUTE_ERRORS)!
    assert.equal(route.route, '/payments/:id')
    assert.match(route.frame, /^src\/payments\.ts:\d+$/)
    assert.match(route.message, /^payment pay_\d+ declined$/)
    assert.ok(route.examples.every((example) => /^[0-9a-f]{32}$/.test(example.traceId)))
    assert.ok(
      route.examples.every((example) => requestIds.includes(example.requestId)),
      'request ids of the failed requests, from their access lines',
    )
    const uncaught = groups.find((group) => group.message.startsWith('ledger batch'))!
    assert.match(uncaught.frame, /^src\/ledger\.ts:\d+$/)
    assert.equal(uncaught.route, '/ledger/sync', "the crashed request's route, from its server span")
    assert.match(uncaught.examples[0]?.traceId ?? '', /^[0-9a-f]{32}$/, 'the crashed request is an example trace')
    const rejection = groups.find((group) => group.type === 'TypeError')!
    assert.match(rejection.frame, /^src\/ledger\.ts:\d+$/)
    assert.notEqual(rejection.frame, uncaught.frame)
  })

  it('counts the route errors in sightline_errors_total on /metrics', () => {
    assert.match(
      metricsText,
      new RegExp(`^sightline_errors_total\\{error_type="Error",http_route="/payments/:id"\\} ${ROUTE_ERRORS}$`, 'm'),
    )
  })

  it('shows the groups on the Errors page, and an example link opens its trace', async () => {
    const page = await browser.context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${base}/errors`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    assert.deepEqual(pageErrors, [])
    const rows = page.locator('tr.error-group')
    assert.equal(await rows.count(), 3)
    const counts = (await page.locator('tr.error-group .error-count').allInnerTexts()).map(Number).sort((a, b) => a - b)
    assert.deepEqual(counts, [1, 1, ROUTE_ERRORS])
    const frames = await page.locator('tr.error-group .error-frame').allInnerTexts()
    for (const frame of frames) assert.match(frame, /^src\/(payments|ledger)\.ts:\d+$/)
    assert.equal(await page.locator('nav a.active').textContent(), 'Errors')
    assert.equal(await page.locator('tr.error-group svg.spark').count(), 3)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'errors.png'), fullPage: false })

    const routeRow = rows.filter({ hasText: '/payments/:id' })
    const example = routeRow.locator('.error-traces a').first()
    const href = (await example.getAttribute('href')) ?? ''
    const traceId = /^\/traces\/([0-9a-f]{32})$/.exec(href)?.[1]
    assert.ok(traceId, href)
    await example.click()
    await page.waitForURL(`**/traces/${traceId}`)
    await page.waitForSelector('#waterfall')
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test asserts on
    assert.equal(await page.locator('#trace-id').innerText(), traceId)
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test asserts on
    assert.match(await page.locator('#waterfall').innerText(), /GET \/payments\/:id/)
    await page.close()
  })
})
