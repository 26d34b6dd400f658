/**
 * @module test/messaging/docs
 * docs/messaging.md's two examples, run as written (each block saved as a script and run with
 * node against the real brokers): their log lines from both sides of the broker share one trace.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { collectJsonLines, type JsonLine } from '../helpers/process.js'
import { AMQP_URL, NATS_URL, unique } from './brokers.js'

const DOCS = fileURLToPath(new URL('../../../docs/messaging.md', import.meta.url))

/** The first js block of `section` in docs/messaging.md. */
function block(section: string): string {
  const docs = readFileSync(DOCS, 'utf8')
  const code = new RegExp(`## ${section}\\n[\\s\\S]*?\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(docs)?.[1]
  assert.ok(code, `a js block in the ${section} section`)
  return code
}

/** Runs `code` as a module beside this file (so its imports resolve as an application's would). */
async function run(name: string, code: string, env: Record<string, string>): Promise<JsonLine[]> {
  const path = fileURLToPath(new URL(`./${name}-${process.pid}.mjs`, import.meta.url))
  writeFileSync(path, code)
  try {
    const child = spawn(process.execPath, [path], {
      env: { ...process.env, LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const lines = collectJsonLines(child)
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000)
    const [code] = await once(child, 'exit')
    clearTimeout(timer)
    assert.equal(code, 0, `${name} exited with ${code}: ${JSON.stringify(lines)}`)
    return lines
  } finally {
    rmSync(path, { force: true })
  }
}

test("the RabbitMQ example: the producer's and the consumer's lines share a trace id and request id", async () => {
  const lines = await run('orders', block('RabbitMQ \\(amqplib\\)'), { AMQP_URL, QUEUE: unique('sightline-docs') })
  const placed = lines.find((l) => l.msg === 'order placed')
  const received = lines.find((l) => l.msg === 'order received')
  assert.ok(placed && received, JSON.stringify(lines))
  assert.match(String(placed.trace_id), /^[0-9a-f]{32}$/)
  assert.equal(received.trace_id, placed.trace_id)
  assert.equal(received.request_id, placed.request_id)
  assert.notEqual(received.span_id, placed.span_id)
})

test("the NATS example: the requester's and the responder's lines share a trace id", async () => {
  const lines = await run('pricing', block('NATS'), { NATS_URL, SUBJECT: unique('sightline.docs') })
  const asking = lines.find((l) => l.msg === 'asking for a quote')
  const requested = lines.find((l) => l.msg === 'quote requested')
  const received = lines.find((l) => l.msg === 'quote received')
  assert.ok(asking && requested && received, JSON.stringify(lines))
  assert.match(String(asking.trace_id), /^[0-9a-f]{32}$/)
  assert.equal(requested.trace_id, asking.trace_id)
  assert.equal(received.trace_id, asking.trace_id)
  assert.deepEqual(received.quote, { price: 12.5 })
})
