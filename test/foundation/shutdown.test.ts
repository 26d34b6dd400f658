/**
 * Graceful shutdown of a real process on SIGTERM: readiness fails at once, in-flight requests
 * finish, hooks run, logs are flushed, exit code 0, within the configured bound.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { collectJsonLines } from '../helpers/process.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/shutdown-server.js', import.meta.url))

interface Started {
  child: ChildProcess
  url: string
  lines: Array<Record<string, unknown>>
}

async function startFixture(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let resolvePort: (port: number) => void
  const port = new Promise<number>((resolve) => (resolvePort = resolve))
  const lines = collectJsonLines(child, (line) => {
    if (line.msg === 'listening') resolvePort(line.port as number)
  })
  return { child, url: `http://127.0.0.1:${await port}`, lines }
}

test('SIGTERM: readiness fails during the delay, in-flight requests finish, exit 0', async () => {
  const { child, url, lines } = await startFixture({
    SIGHTLINE_SHUTDOWN_DELAY_MS: '400',
    SIGHTLINE_SHUTDOWN_TIMEOUT_MS: '5000',
  })
  assert.equal((await fetch(`${url}/readyz`)).status, 200)
  const inFlight = fetch(`${url}/slow?ms=900`)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = performance.now()
  child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 100))
  const ready = await fetch(`${url}/readyz`)
  assert.equal(ready.status, 503, 'readiness fails at once')
  assert.equal(((await ready.json()) as { status: string }).status, 'shutting_down')
  const response = await inFlight
  assert.equal(response.status, 200, 'the in-flight request finished')
  assert.deepEqual(await response.json(), { done: true })
  const [code] = await once(child, 'exit')
  const elapsed = performance.now() - started
  assert.equal(code, 0)
  assert.ok(elapsed < 6000, `shutdown took ${elapsed} ms`)
  const messages = lines.map((l) => l.msg)
  const order = ['shutdown started', 'closing database pool', 'shutdown complete']
  assert.deepEqual(
    messages.filter((m) => order.includes(m as string)),
    order,
  )
  assert.ok(lines.some((l) => l.msg === 'request completed' && l.route === '/slow' && l.status === 200))
})

test('SIGTERM with a request that never ends: the drain times out, connections close, exit 0 within the bound', async () => {
  const { child, url, lines } = await startFixture({
    SIGHTLINE_SHUTDOWN_DELAY_MS: '0',
    SIGHTLINE_SHUTDOWN_TIMEOUT_MS: '700',
  })
  const hung = fetch(`${url}/hang`).then(
    (r) => r.status,
    () => 'closed',
  )
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = performance.now()
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  const elapsed = performance.now() - started
  assert.equal(code, 0)
  assert.ok(elapsed < 5000, `bounded: ${elapsed} ms`)
  assert.equal(await hung, 'closed')
  assert.ok(lines.some((l) => l.msg === 'drain timed out, closing remaining connections'))
  assert.ok(lines.some((l) => l.msg === 'request completed' && l.aborted === true && l.status === 499))
})
