/**
 * OpenTelemetry's own instrumentations under Sightline (issue 25 #3), on real Redis, MariaDB and
 * RabbitMQ: `@opentelemetry/instrumentation-ioredis`, `-mysql2` and `-amqplib`, enabled by
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS under the launcher (an ESM app and a CommonJS one) and by
 * `setupTracing`'s `instrumentations` option in this process. Their spans are children of
 * Sightline's server span, reach the collector through Sightline's exporter (the export worker's
 * http/protobuf under the launcher) and its counters, drops included, and the log lines written
 * after the client's await, or in the consumer's callback, carry the same trace and span ids.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer as createHttpServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2'
import type { ViewerSpan } from '@sightline/viewer'
import type { RowDataPacket } from 'mysql2/promise'
import { type Counter, createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OTLP_KIND, OtlpProtobufReceiver } from '../helpers/otlp-protobuf-receiver.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { collectJsonLines, type JsonLine } from '../helpers/process.js'
import { close, freePort, listen } from '../helpers/server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`
const FIXTURES = `${ROOT}test/fixtures/otel-instrumentations`

/** Polls `find` until it returns something (spans and log lines arrive asynchronously). */
async function eventually<T>(
  find: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await find()
    if (found !== undefined) return found
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await (await fetch(url)).arrayBuffer()
      return
    } catch (error) {
      if (i > 200) throw error
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
}

describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS under node --import sightline/register', () => {
  let receiver: OtlpProtobufReceiver
  before(async () => {
    receiver = await new OtlpProtobufReceiver().start()
  })
  after(() => receiver.close())

  for (const app of ['app.mjs', 'app.cjs']) {
    test(`${app}: ioredis, mysql2 and amqplib spans are children of the server span, exported and correlated`, async () => {
      const [port, opsPort] = [await freePort(), await freePort()]
      const service = `otel-instrumented-${app.replace('.', '-')}`
      const child = spawn(process.execPath, ['--import', REGISTER, `${FIXTURES}/${app}`], {
        env: {
          ...process.env,
          PORT: String(port),
          SIGHTLINE_OPS_PORT: String(opsPort),
          SIGHTLINE_SERVICE_NAME: service,
          SIGHTLINE_SHUTDOWN_DELAY_MS: '0',
          LOG_FORMAT: 'json',
          OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'ioredis, mysql2, amqplib',
          // The default protocol: http/protobuf, sent by Sightline's export worker.
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_TRACES_SAMPLER_ARG: '1',
          OTEL_BSP_SCHEDULE_DELAY: '50',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const lines = collectJsonLines(child)
      const spans = () => receiver.spans.filter((span) => span.service === service)
      const line = (msg: string, key: string) =>
        eventually(() => lines.find((l) => l.msg === msg && l.key === key), `log line "${msg}" of ${key}`)
      try {
        await waitFor(`http://127.0.0.1:${port}/ready`)
        const call = async (path: string) => {
          const key = `${app}${path}`
          const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-request-id': key } })
          assert.equal(response.status, 200, await response.text())
          const server = await eventually(
            () => spans().find((s) => s.kind === OTLP_KIND.SERVER && s.attributes['url.path'] === path),
            `the server span of ${key}`,
          )
          return { key, server, children: () => spans().filter((s) => s.parentSpanId === server.spanId) }
        }
        const expectIds = (logLine: JsonLine, span: ViewerSpan) => {
          assert.equal(logLine.trace_id, span.traceId, `${String(logLine.msg)}: trace id`)
          assert.equal(logLine.span_id, span.spanId, `${String(logLine.msg)}: span id`)
        }

        const redis = await call('/redis')
        const commands = await eventually(() => {
          const found = redis.children().filter((s) => s.kind === OTLP_KIND.CLIENT)
          return found.length >= 2 ? found : undefined
        }, 'the ioredis spans')
        assert.deepEqual(commands.map((s) => s.name).sort(), ['get', 'set'])
        for (const span of commands) {
          assert.equal(span.traceId, redis.server.traceId)
          assert.equal(span.attributes['db.system.name'], 'redis')
        }
        expectIds(await line('after redis', redis.key), redis.server)

        const mysql = await call('/mysql')
        const query = await eventually(
          () => mysql.children().find((s) => s.kind === OTLP_KIND.CLIENT),
          'the mysql2 span',
        )
        assert.equal(query.name, 'SELECT')
        assert.equal(query.traceId, mysql.server.traceId)
        assert.equal(query.attributes['db.system.name'], 'mysql')
        expectIds(await line('after mysql', mysql.key), mysql.server)

        const amqp = await call('/amqp')
        const publish = await eventually(
          () => amqp.children().find((s) => s.kind === OTLP_KIND.PRODUCER),
          'the amqplib publish span',
        )
        assert.equal(publish.traceId, amqp.server.traceId)
        // The message carried the trace (Sightline's propagator, through the API): the consumer's
        // span continues it, and the consumer's log line, outside any request, is in that span.
        const consume = await eventually(
          () => spans().find((s) => s.kind === OTLP_KIND.CONSUMER && s.parentSpanId === publish.spanId),
          'the amqplib consumer span',
        )
        assert.equal(consume.traceId, amqp.server.traceId)
        const consumed = await line('amqp message consumed', amqp.key)
        expectIds(consumed, consume)
        assert.equal(consumed.request_id, undefined, 'no request is in flight in the consumer')
        expectIds(await line('after amqp', amqp.key), amqp.server)

        // Every span received went through Sightline's counting exporter, and none was lost.
        const ops = `http://127.0.0.1:${opsPort}/metrics`
        const samples = await eventually(async () => {
          const samples = parseMetrics(await (await fetch(ops)).text())
          const exported = sampleValue(samples, 'sightline_spans_exported_total') ?? 0
          return exported === spans().length ? samples : undefined
        }, 'the exported counter')
        assert.ok(spans().length >= 9, `spans received: ${spans().length}`)
        assert.equal(sampleValue(samples, 'sightline_spans_dropped_total', { reason: 'queue_full' }) ?? 0, 0)
        assert.ok(
          lines.some((l) => l.msg === 'OpenTelemetry instrumentations enabled' && l.esm_hook === 'hooked'),
          'the start-up line names the hook',
        )
      } finally {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
    })
  }

  test('a named instrumentation that is not installed stops the start with an error naming its package', async () => {
    const child = spawn(process.execPath, ['--import', REGISTER, `${ROOT}test/fixtures/zero-code/http.mjs`], {
      env: {
        ...process.env,
        PORT: String(await freePort()),
        SIGHTLINE_OPS_PORT: '0',
        LOG_FORMAT: 'json',
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'ioredis,not-installed-anywhere',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // The launcher's failed start is a rejection: crash capture makes it one fatal JSON line on
    // stdout (without it, Node's dump on stderr); either way the error names the package.
    let output = ''
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
    }
    const [code] = await once(child, 'exit')
    assert.notEqual(code, 0)
    assert.match(output, /SIGHTLINE_ERR_MISSING_PEER/)
    assert.match(
      output,
      /OTEL_NODE_ENABLED_INSTRUMENTATIONS=not-installed-anywhere needs the package @opentelemetry\/instrumentation-not-installed-anywhere, which is not installed: npm install @opentelemetry\/instrumentation-not-installed-anywhere/,
    )
  })
})

describe('setupTracing(sightline, { instrumentations }) in this process', () => {
  const receiver = new OtlpReceiver()
  const logs = new LogCapture()
  const sightline = createSightline({
    service: 'otel-in-process',
    logDestination: logs,
    shutdown: { signals: false, delayMs: 0 },
  })
  const QUEUE = 8
  let server: Server
  let url = ''
  let disconnect: () => Promise<void> = async () => {}

  before(async () => {
    await receiver.start()
    await setupTracing(sightline, {
      instrumentations: [new IORedisInstrumentation(), new MySQL2Instrumentation()],
      sampler: 'always_on',
      protocol: 'http/json',
      endpoint: `${receiver.url}/v1/traces`,
      scheduledDelayMillis: 50,
      maxQueueSize: QUEUE,
      maxExportBatchSize: QUEUE,
      exportTimeoutMillis: 1000,
    })
    // Imported once set-up is done, as an app's modules would be after its tracing file: the
    // loader hook Sightline registered patches ioredis as it is imported.
    const { Redis } = await import('ioredis')
    const mysql = await import('mysql2/promise')
    const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 })
    const pool = mysql.createPool({ host: '127.0.0.1', user: 'root', database: 'test', connectionLimit: 1 })
    disconnect = async () => {
      redis.disconnect()
      await pool.end()
    }
    server = createHttpServer(
      sightline.wrap(async (req, res) => {
        if (req.url === '/many') {
          for (let i = 0; i < 20; i++) await redis.incr('sightline:otel:in-process')
        } else {
          await redis.set('sightline:otel:in-process', '1')
          const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 + 1 AS two')
          sightline.logger.info({ two: rows[0]?.two }, 'after the clients')
        }
        res.end('ok')
      }),
    )
    url = await listen(server)
  })

  after(async () => {
    await close(server)
    await sightline.shutdown('test')
    await disconnect()
    await receiver.close()
  })

  test('ioredis and mysql2 spans: children of the server span, exported with it, counted, correlated', async () => {
    const response = await fetch(`${url}/both`, { headers: { 'x-request-id': 'in-process-both' } })
    assert.equal(response.status, 200)
    const serverSpan = await eventually(
      () => receiver.spans.find((s) => s.kind === 2 && s.attributes['url.path'] === '/both'),
      'the server span',
    )
    const children = await eventually(() => {
      const found = receiver.spans.filter((s) => s.parentSpanId === serverSpan.spanId)
      return found.length >= 2 ? found : undefined
    }, 'the client spans')
    assert.deepEqual(children.map((s) => s.name).sort(), ['SELECT', 'set'])
    for (const span of children) {
      assert.equal(span.traceId, serverSpan.traceId)
      assert.equal(span.kind, 3)
      assert.equal(span.resource['service.name'], 'otel-in-process', 'exported with Sightline’s resource')
    }
    const line = await logs.waitFor((l) => l.msg === 'after the clients')
    assert.equal(line.two, 2)
    assert.equal(line.trace_id, serverSpan.traceId)
    assert.equal(line.span_id, serverSpan.spanId)
    const exported = sightline.metrics.get('sightline_spans_exported_total') as Counter
    await eventually(
      () => (exported.get() === receiver.spans.length ? true : undefined),
      `exported counter ${exported.get()} = ${receiver.spans.length} received`,
    )
  })

  test('while the collector hangs, their spans fill the queue and are dropped and counted', async (t) => {
    const dropped = sightline.metrics.get('sightline_spans_dropped_total') as Counter
    const before = dropped.get({ reason: 'queue_full' })
    receiver.mode = 'hang'
    try {
      // 20 ioredis spans and a server span, against a queue of 8 with one batch of 8 stuck in a
      // hung export: whatever else, at least 5 are dropped, so the instrumentation's spans count.
      await (await fetch(`${url}/many`)).arrayBuffer()
      const lost = dropped.get({ reason: 'queue_full' }) - before
      t.diagnostic(`spans dropped: ${lost} of 21`)
      assert.ok(lost >= 21 - 2 * QUEUE, `spans dropped: ${lost}`)
    } finally {
      receiver.mode = 'ok'
    }
  })
})
