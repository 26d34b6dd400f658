/**
 * Crash capture in real processes (core/lifecycle/crash): an uncaught exception or unhandled
 * rejection is one line with the error and its request, the server span is exported with the
 * exception, and the process exits as Node would have made it — within the flush bound.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { collectJsonLines, type JsonLine } from '../helpers/process.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/crash-app.js', import.meta.url))
const FATAL = 'fatal'
const ERROR = 'error'

interface Started {
  child: ChildProcess
  url: string
  lines: JsonLine[]
  stderr: () => string
  exited: Promise<{ code: number | null; at: number }>
}

let receiver: OtlpReceiver

before(async () => {
  receiver = await new OtlpReceiver().start()
})

after(async () => {
  await receiver.close()
})

async function start(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, FIXTURE], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_TRACES_SAMPLER_ARG: '1',
      SIGHTLINE_RUNTIME_METRICS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, at: performance.now() }))
  let announce: (port: number) => void
  const port = new Promise<number>((resolve) => (announce = resolve))
  const lines = collectJsonLines(child, (line) => {
    if (line.msg === 'listening') announce(line.port as number)
  })
  const failed = exited.then(({ code }) => {
    throw new Error(`fixture exited (${code}) before listening: ${stderr}`)
  })
  return { child, url: `http://127.0.0.1:${await Promise.race([port, failed])}`, lines, stderr: () => stderr, exited }
}

/** A request that may never be answered: the process dies under it. */
function hit(url: string): Promise<number | 'closed'> {
  return fetch(url).then(
    (response) => response.status,
    () => 'closed' as const,
  )
}

const crashLines = (lines: JsonLine[]) => lines.filter((line) => line.level === FATAL || line.level === ERROR)

for (const [path, message] of [
  ['/throw', 'thrown in a handler'],
  ['/throw-later', 'thrown in a timer of the request'],
] as const) {
  test(`uncaught exception in a request (${path}): one fatal line with the request's ids and stack, the server span exported with it, exit 1`, async () => {
    const app = await start()
    await hit(`${app.url}${path}`)
    const { code } = await app.exited
    assert.equal(code, 1)
    const [fatal, ...others] = crashLines(app.lines)
    assert.equal(others.length, 0, 'exactly one crash line')
    assert.ok(fatal)
    assert.equal(fatal.level, FATAL)
    assert.equal(fatal.msg, 'uncaught exception')
    assert.equal(fatal.kind, 'uncaughtException')
    assert.match(String(fatal.request_id), /.+/)
    assert.match(String(fatal.trace_id), /^[0-9a-f]{32}$/)
    assert.match(String(fatal.span_id), /^[0-9a-f]{16}$/)
    const err = fatal.err as { type: string; message: string; stack: string }
    assert.equal(err.type, 'Error')
    assert.equal(err.message, message)
    assert.match(err.stack, new RegExp(`Error: ${message}\\n\\s+at `))
    const span = receiver.spans.find((s) => s.traceId === fatal.trace_id)
    assert.ok(span, 'the server span was exported before the exit')
    assert.equal(span.spanId, fatal.span_id)
    assert.equal(span.kind, 2, 'server')
    assert.equal(span.status?.code, 2, 'ERROR')
    const event = span.events?.find((e) => e.name === 'exception')
    assert.ok(event, 'an exception event')
    const attributes = Object.fromEntries((event.attributes ?? []).map((a) => [a.key, a.value.stringValue]))
    assert.equal(attributes['exception.message'], message)
    assert.match(String(attributes['exception.stacktrace']), new RegExp(message))
    assert.equal(attributes['sightline.error.fingerprint'], (fatal.err as { fingerprint: string }).fingerprint)
    assert.equal(attributes['code.file.path'], 'test/dist/fixtures/crash-app.js')
  })
}

test('unhandled rejection outside any request: a fatal line with no request fields, exit 1; the stack is the compiled .js without --enable-source-maps', async () => {
  const app = await start({ CRASH_AT_START: 'reject' })
  const { code } = await app.exited
  assert.equal(code, 1)
  const [fatal, ...others] = crashLines(app.lines)
  assert.equal(others.length, 0)
  assert.ok(fatal)
  assert.equal(fatal.level, FATAL)
  assert.equal(fatal.kind, 'unhandledRejection')
  assert.equal(fatal.msg, 'unhandled rejection')
  assert.equal(fatal.request_id, undefined)
  assert.equal(fatal.trace_id, undefined)
  const stack = (fatal.err as { stack: string }).stack
  assert.match(stack, /rejected outside any request/)
  assert.match(stack, /at \S*failOutsideRequests[^\n]*\(.*crash-app\.js:\d+:\d+\)/)
})

test('--enable-source-maps: the stack frames point at the .ts source', async () => {
  const app = await start({ CRASH_AT_START: 'reject' }, ['--enable-source-maps'])
  const { code } = await app.exited
  assert.equal(code, 1)
  const fatal = crashLines(app.lines)[0]
  assert.ok(fatal)
  const err = fatal.err as { stack: string; fingerprint: string; frame: string }
  assert.match(err.stack, /at \S*failOutsideRequests[^\n]*\(.*test\/fixtures\/crash-app\.ts:15:\d+\)/)
  // Its group (core/error-groups): the top application frame, relative to the app's root (the cwd).
  assert.match(err.fingerprint, /^[0-9a-f]{16}$/)
  assert.equal(err.frame, 'test/fixtures/crash-app.ts:15')
})

test('--unhandled-rejections=warn: an error line with the request, and the process keeps serving', async () => {
  const app = await start({}, ['--unhandled-rejections=warn'])
  try {
    assert.equal(await hit(`${app.url}/reject`), 200)
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(await hit(`${app.url}/ok`), 200, 'still serving')
    assert.equal(app.child.exitCode, null)
    const [line, ...others] = crashLines(app.lines)
    assert.equal(others.length, 0)
    assert.ok(line)
    assert.equal(line.level, ERROR)
    assert.equal(line.kind, 'unhandledRejection')
    assert.match(String(line.request_id), /.+/, "the promise's request")
    assert.equal((line.err as { message: string }).message, 'rejected in a handler')
  } finally {
    app.child.kill('SIGKILL')
    await app.exited
  }
})

test("SIGHTLINE_CRASH_CAPTURE=false: Node's own behaviour (stderr, exit 1), no crash line", async () => {
  const app = await start({ SIGHTLINE_CRASH_CAPTURE: 'false' })
  await hit(`${app.url}/throw`)
  const { code } = await app.exited
  assert.equal(code, 1)
  assert.match(app.stderr(), /Error: thrown in a handler/)
  assert.deepEqual(crashLines(app.lines), [])
})

test('a black-holed collector: the process exits within the flush bound (+1 s)', async () => {
  receiver.mode = 'hang'
  try {
    const app = await start({ SIGHTLINE_CRASH_FLUSH_TIMEOUT_MS: '500' })
    const sent = performance.now()
    await hit(`${app.url}/throw`)
    const { code, at } = await app.exited
    assert.equal(code, 1)
    assert.ok(at - sent < 1500, `exited ${Math.round(at - sent)} ms after the crash`)
    assert.equal(crashLines(app.lines).length, 1, 'the line was written before the flush')
  } finally {
    receiver.mode = 'ok'
  }
})
