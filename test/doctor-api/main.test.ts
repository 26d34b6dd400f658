/**
 * `npm start`'s process: doctor-api from dist/, as a real child process — it becomes ready, serves,
 * and exits 0 on SIGTERM with the shutdown-complete line last.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { collectJsonLines } from '../helpers/process.js'

const MAIN = fileURLToPath(new URL('../../examples/doctor-api/main.js', import.meta.url))

test('doctor-api starts on PGlite, becomes ready, and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', SIGHTLINE_SHUTDOWN_DELAY_MS: '50' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let announce: (port: number) => void
  const listening = new Promise<number>((resolve) => (announce = resolve))
  const lines = collectJsonLines(child, (line) => {
    if (typeof line.port === 'number' && String(line.msg).startsWith('doctor-api listening')) announce(line.port)
  })
  const port = await listening
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
  assert.equal(ready.status, 200)
  const created = await fetch(`http://127.0.0.1:${port}/api/patients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Grace', email: 'grace@example.com', date_of_birth: '1906-12-09' }),
  })
  assert.equal(created.status, 201)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
  assert.equal(lines.at(-1)?.msg, 'shutdown complete')
  assert.equal(lines.find((l) => String(l.msg).startsWith('doctor-api listening'))?.migrations_applied, 5)
})
