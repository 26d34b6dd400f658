/**
 * Liveness, readiness (parallel checks, timeouts, critical vs degraded, no leaked error text),
 * the ops port, the metrics token, and promtool's verdict on the exposition.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { createSightline } from 'sightline'
import { startApp, type TestApp } from '../conformance/apps.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'

const run = promisify(execFile)

describe('health', () => {
  let app: TestApp
  before(async () => {
    app = await startApp('fastify')
  })
  after(() => app.close())

  test('/healthz answers at once and touches no dependency', async () => {
    app.sightline.addCheck('never-called', () => {
      throw new Error('liveness must not run checks')
    })
    const response = await fetch(`${app.url}/healthz`)
    assert.equal(response.status, 200)
    const body = (await response.json()) as { status: string }
    assert.equal(body.status, 'ok')
    assert.equal((await fetch(`${app.url}/healthz/`)).status, 200, 'trailing slash accepted')
    assert.equal((await fetch(`${app.url}/healthz?probe=1`)).status, 200, 'query string ignored')
    assert.equal((await fetch(`${app.url}/healthz/?probe=1`)).status, 200, 'both')
    // Longer paths that start like an ops path are the application's (its 404 here).
    for (const path of ['/healthzz', '/healthz-x', '/healthz/x', '/healthz//']) {
      const other = await fetch(`${app.url}${path}`)
      assert.equal(other.status, 404, path)
      assert.notEqual(((await other.json()) as { status?: string }).status, 'ok', path)
    }
    app.sightline.health.removeCheck('never-called')
  })

  test('checks run in parallel under their timeouts; a hung critical check means 503 within its timeout', async () => {
    app.sightline.addCheck('fast', () => undefined)
    app.sightline.addCheck('hung', () => new Promise(() => {}), { timeoutMs: 300 })
    app.sightline.addCheck('slow-ok', () => new Promise((resolve) => setTimeout(resolve, 250)), { timeoutMs: 1000 })
    const started = performance.now()
    const response = await fetch(`${app.url}/readyz`)
    const elapsed = performance.now() - started
    assert.equal(response.status, 503)
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> }
    assert.equal(body.status, 'not_ready')
    assert.equal(body.checks.fast?.status, 'ok')
    assert.equal(body.checks.hung?.status, 'timeout')
    assert.equal(body.checks['slow-ok']?.status, 'ok')
    assert.ok(elapsed < 900, `checks ran in parallel: ${elapsed} ms`)
    const samples = parseMetrics(await (await fetch(`${app.url}/metrics`)).text())
    assert.equal(sampleValue(samples, 'sightline_readiness_check_up', { check: 'hung' }), 0)
    assert.equal(sampleValue(samples, 'sightline_readiness_check_up', { check: 'fast' }), 1)
    for (const name of ['fast', 'hung', 'slow-ok']) app.sightline.health.removeCheck(name)
  })

  test('a failing non-critical check degrades (200) and its error text stays private', async () => {
    app.sightline.addCheck(
      'cache',
      () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:6379 password=hunter2')
      },
      { critical: false },
    )
    const response = await fetch(`${app.url}/readyz`)
    assert.equal(response.status, 200)
    const text = await response.text()
    const body = JSON.parse(text) as { status: string; checks: Record<string, { status: string; critical: boolean }> }
    assert.equal(body.status, 'degraded')
    assert.equal(body.checks.cache?.status, 'fail')
    assert.equal(body.checks.cache?.critical, false)
    assert.doesNotMatch(text, /ECONNREFUSED|hunter2/)
    const logged = await app.logs.waitFor((l) => l.msg === 'readiness check failing' && l.check === 'cache')
    assert.match(String(logged.error), /ECONNREFUSED/, 'the operator still gets the reason in the logs')
    app.sightline.health.removeCheck('cache')
  })

  test('non-GET on an ops endpoint is 405', async () => {
    const response = await fetch(`${app.url}/metrics`, { method: 'POST' })
    assert.equal(response.status, 405)
  })

  test('ops responses carry X-Request-ID: a safe incoming one echoed, a generated one otherwise', async () => {
    const generated = new Set<string>()
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const echoed = await fetch(`${app.url}${path}`, { headers: { 'x-request-id': 'probe-123' } })
      await echoed.arrayBuffer()
      assert.equal(echoed.headers.get('x-request-id'), 'probe-123', path)
      const replaced = await fetch(`${app.url}${path}`, { headers: { 'x-request-id': '<bad id>' } })
      await replaced.arrayBuffer()
      const id = replaced.headers.get('x-request-id') ?? ''
      assert.match(id, /^[a-z0-9]+-[a-z0-9]+$/, path)
      generated.add(id)
    }
    assert.equal(generated.size, 3, 'each response its own id')
  })
})

describe('ops port and metrics token', () => {
  test('ops endpoints move to their own port, behind a bearer token for /metrics', async () => {
    const app = await startApp('http', { opsPort: 0, metricsToken: 's3cret' })
    try {
      await new Promise((resolve) => setTimeout(resolve, 50))
      const ops = `http://127.0.0.1:${app.sightline.opsAddress?.port}`
      assert.equal((await fetch(`${app.url}/metrics`)).status, 404, 'not on the application port')
      assert.equal((await fetch(`${ops}/healthz`)).status, 200)
      assert.equal((await fetch(`${ops}/readyz`)).status, 200)
      const denied = await fetch(`${ops}/metrics`)
      assert.equal(denied.status, 401)
      assert.equal((await fetch(`${ops}/metrics`, { headers: { authorization: 'Bearer wrong!' } })).status, 401)
      const allowed = await fetch(`${ops}/metrics`, { headers: { authorization: 'Bearer s3cret' } })
      assert.equal(allowed.status, 200)
      assert.match(await allowed.text(), /http_server_active_requests/)
      const unknown = await fetch(`${ops}/nothing`, { headers: { 'x-request-id': 'probe-404' } })
      assert.equal(unknown.status, 404)
      assert.equal(unknown.headers.get('x-request-id'), 'probe-404')
      assert.ok(denied.headers.get('x-request-id'), 'a 401 carries an id too')
    } finally {
      await app.close()
    }
  })
})

describe('exposition passes promtool', () => {
  test('promtool check metrics reports no findings on a real scrape', async (t) => {
    const promtool = process.env.PROMTOOL_BIN ?? 'promtool'
    const app = await startApp('express')
    try {
      for (const path of ['/users/1', '/boom', '/nope', '/slow?ms=1'])
        await (await fetch(`${app.url}${path}`)).arrayBuffer()
      app.sightline.metrics
        .counter({ name: 'app_user_signups_total', help: 'Signups.', labelNames: ['source'] })
        .inc({ source: 'web' })
      const text = await (await fetch(`${app.url}/metrics`)).text()
      const child = execFile(promtool, ['check', 'metrics'])
      child.stdin?.end(text)
      const output = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout?.on('data', (d) => (out += d))
        child.stderr?.on('data', (d) => (out += d))
        child.on('error', reject)
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`promtool exit ${code}: ${out}`))))
      })
      t.diagnostic(`promtool: ${output.trim() || 'no findings'}`)
      assert.equal(output.trim(), '')
    } finally {
      await app.close()
    }
  })

  test('promtool version is real (the binary exists)', async () => {
    const { stdout } = await run(process.env.PROMTOOL_BIN ?? 'promtool', ['--version'])
    assert.match(stdout, /promtool/)
  })
})

describe('options are validated once, with named errors', () => {
  test('bad options throw a TypeError naming the option and the value', () => {
    assert.throws(() => createSightline({ logLevel: 'loud' }), /option "logLevel" must be one of .* received "loud"/)
    assert.throws(() => createSightline({ opsPort: 70000 }), /option "opsPort" must be an integer between 0 and 65535/)
    assert.throws(() => createSightline({ metricsPath: 'metrics' }), /must be a path starting with/)
    assert.throws(
      () => createSightline({ accessLog: 'yes' as unknown as boolean }),
      (error: unknown) =>
        error instanceof TypeError && (error as { code?: string }).code === 'SIGHTLINE_ERR_INVALID_OPTION',
    )
  })

  test('a readiness check with a bad timeout or no function is refused the same way', (t) => {
    const sightline = createSightline({ shutdown: { signals: false } })
    t.after(() => sightline.close())
    const invalid = (pattern: RegExp) => (error: unknown) =>
      error instanceof TypeError &&
      (error as { code?: string }).code === 'SIGHTLINE_ERR_INVALID_OPTION' &&
      pattern.test((error as Error).message)
    assert.throws(
      () => sightline.addCheck('db', async () => {}, { timeoutMs: 0 }),
      invalid(/option "addCheck\(db\).timeoutMs" must be a positive number of milliseconds, received 0/),
    )
    assert.throws(
      () => sightline.addCheck('db', 'SELECT 1' as never),
      invalid(/option "addCheck\(db\)" must be a function/),
    )
  })
})
