/**
 * @module test/viewer/cli
 * `sightline viewer` as a user starts it: the real bin, a free port, the URL printed, the API
 * answering, a clean exit on SIGTERM; and a refusal to bind beyond loopback without a token.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../../packages/sightline/dist/src/cli/main.js', import.meta.url))

test('sightline viewer prints its URL, serves the API and stops on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [BIN, 'viewer', '--port', '0', '--grpc-port', '0', '--max-traces', '50', '--max-bytes', '1048576'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  child.stdout.setEncoding('utf8')
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
  })
  assert.match(out, /OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/127\.0\.0\.1:\d+/)
  assert.match(out, /or http:\/\/127\.0\.0\.1:\d+ \(OTLP\/gRPC\)/)
  const stats = (await (await fetch(`${url}/api/stats`)).json()) as { limits: { maxTraces: number; maxBytes: number } }
  assert.equal(stats.limits.maxTraces, 50)
  assert.equal(stats.limits.maxBytes, 1048576)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
})

test('sightline viewer refuses to bind beyond loopback without a token', async () => {
  const child = spawn(process.execPath, [BIN, 'viewer', '--host', '0.0.0.0', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SIGHTLINE_VIEWER_TOKEN: '' },
  })
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const [code] = await once(child, 'exit')
  assert.equal(code, 2)
  assert.match(err, /token/)
})

test('sightline viewer refuses a flag that is not a number, quoting what it was given', async () => {
  for (const [flag, value] of [
    ['--port', 'abc'],
    ['--max-logs', '1e3'],
  ] as const) {
    const child = spawn(process.execPath, [BIN, 'viewer', flag, value], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    const [code] = await once(child, 'exit')
    assert.equal(code, 2)
    assert.equal(err.trim(), `${flag} must be a whole number, received "${value}"`)
  }
})
