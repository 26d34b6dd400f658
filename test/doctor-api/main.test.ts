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

const MAIN = fileURLToPath(new URL('../../../examples/doctor-api/dist/main.js', import.meta.url))

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

test('doctor-api that cannot start says why in one JSON line and exits 1, credentials left out', async () => {
  const cases = [
    // A closed port, with a Redis client that would keep reconnecting (the exit must not wait for it).
    {
      env: { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/doctor', REDIS_URL: 'redis://127.0.0.1:1' },
      message: /^doctor-api could not start: migrating Postgres at postgres:\/\/127\.0\.0\.1:1\/doctor: .*ECONNREFUSED/,
    },
    { env: { DATABASE_URL: 'not a url' }, message: /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/ },
    { env: { REDIS_URL: 'http://cache:6379' }, message: /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/ },
  ]
  for (const { env, message } of cases) {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NOTIFIER_URL: '', DATABASE_URL: '', REDIS_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const lines = collectJsonLines(child)
    const [code] = await once(child, 'exit')
    assert.equal(code, 1, JSON.stringify(env))
    const fatal = lines.at(-1)
    assert.equal(fatal?.level, 'fatal')
    assert.match(String(fatal?.msg), message)
    assert.doesNotMatch(JSON.stringify(lines), /hunter2/)
    assert.equal(stderr, '', 'no crash dump')
  }
})
