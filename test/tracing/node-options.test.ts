/**
 * @module test/tracing/node-options
 * The launcher through NODE_OPTIONS (how Docker and Kubernetes users set it, and what `sightline run`
 * does), with an exporter endpoint set: worker threads import the launcher too, and Sightline's own
 * export worker must not start another launcher (which started another worker, without end: 185
 * threads and 2.1 GB in 40 s before the fix). One launcher, a bounded thread count, SIGTERM stops it.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`

test('NODE_OPTIONS=--import sightline/register with an endpoint: one launcher, threads bounded, SIGTERM stops it', async () => {
  const receiver = await new OtlpReceiver().start()
  const app = join(tmpdir(), `sightline-node-options-${process.pid}.mjs`)
  writeFileSync(
    app,
    `import { createServer } from 'node:http'
const server = createServer((req, res) => res.end('ok'))
server.listen(0, '127.0.0.1', async () => {
  for (let i = 0; i < 20; i++) await (await fetch('http://127.0.0.1:' + server.address().port + '/x')).text()
  console.log(JSON.stringify({ msg: 'app ready' }))
})
`,
  )
  const child = spawn(process.execPath, [app], {
    env: {
      ...process.env,
      NODE_OPTIONS: `--import ${REGISTER}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_LOGS_EXPORTER: 'none',
      SIGHTLINE_OPS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk))
  child.stderr.on('data', (chunk: Buffer) => (out += chunk))
  try {
    const deadline = Date.now() + 15_000
    while (!out.includes('app ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.ok(out.includes('app ready'), out)
    // Long enough for a runaway to show: each launcher used to start its worker within ~130 ms.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const threads = readdirSync(`/proc/${child.pid}/task`).length
    const launchers = out.split('\n').filter((line) => line.includes('"ops endpoints listening"')).length
    assert.equal(launchers, 1, out)
    assert.ok(threads <= 16, `${threads} threads`)
    assert.ok(receiver.requests > 0, 'spans were exported by the one export worker')
    child.kill('SIGTERM')
    const [code, signal] = (await Promise.race([
      once(child, 'exit'),
      new Promise((resolve) => setTimeout(() => resolve(['timeout', null]), 25_000)),
    ])) as [number | string | null, string | null]
    assert.notEqual(code, 'timeout', 'SIGTERM stopped it')
    assert.ok(code === 0 || signal === 'SIGTERM', `exit ${code} ${signal}`)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    await receiver.close()
  }
})
