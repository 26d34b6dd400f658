/**
 * @module test/tracing/instances
 * Tracing is owned by the Sightline instance: two services in one process, each with its own
 * exporter, sampling and logger, over real sockets. Neither sees the other's spans, ids, log
 * fields or sampling, and neither touches what the application registered with OpenTelemetry's
 * API (its tracer provider, its diag logger) unless asked to (`global: true`).
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { type DiagLogger, diag, trace } from '@opentelemetry/api'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { createSightline, type Sightline } from 'sightline'
import { setupTracing, type Tracing, withSpan } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { close, listen } from '../helpers/server.js'

interface Service {
  name: string
  sightline: Sightline
  tracing: Tracing
  receiver: OtlpReceiver
  logs: LogCapture
  server: Server
  url: string
}

describe('two tracing instances in one process', () => {
  const appProvider = new BasicTracerProvider()
  const diagMessages: string[] = []
  const appDiag: DiagLogger = {
    error: (message) => diagMessages.push(message),
    warn: (message) => diagMessages.push(message),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  }
  const downstreamHeaders: IncomingHttpHeaders[] = []
  let downstream: Server
  let downstreamUrl = ''
  const services: Service[] = []

  async function start(name: string, ratio: number): Promise<Service> {
    const receiver = await new OtlpReceiver().start()
    const logs = new LogCapture()
    const sightline = createSightline({ service: name, logDestination: logs, shutdown: { signals: false } })
    const tracing = await setupTracing(sightline, {
      ratio,
      sampler: 'parentbased_traceidratio',
      protocol: 'http/json',
      endpoint: `${receiver.url}/v1/traces`,
      scheduledDelayMillis: 60_000,
    })
    const server = createServer(
      sightline.wrap(async (_req, res) => {
        sightline.logger.info(`${name} handler`)
        await withSpan(`${name}.work`, async () => {
          sightline.logger.info(`${name} in span`)
          await (await fetch(`${downstreamUrl}/from-${name}`)).arrayBuffer()
        })
        res.end(name)
      }),
    )
    const url = await listen(server)
    const service = { name, sightline, tracing, receiver, logs, server, url }
    services.push(service)
    return service
  }

  before(async () => {
    // What an application with its own OpenTelemetry set-up has registered before Sightline.
    trace.setGlobalTracerProvider(appProvider)
    diag.setLogger(appDiag)
    downstream = createServer((req, res) => {
      downstreamHeaders.push(req.headers)
      res.end()
    })
    downstreamUrl = await listen(downstream)
  })

  after(async () => {
    for (const service of services) {
      await close(service.server)
      await service.tracing.shutdown()
      await service.sightline.close()
      await service.receiver.close()
    }
    await close(downstream)
    trace.disable()
    diag.disable()
  })

  test('each exports its own spans, samples by its own ratio, and logs its own ids', async () => {
    const a = await start('service-a', 1)
    const b = await start('service-b', 0) // samples nothing of its own
    for (let i = 0; i < 5; i++) {
      for (const service of [a, b]) {
        const reply = await fetch(`${service.url}/r${i}`, { headers: { 'x-request-id': `${service.name}-${i}` } })
        assert.equal(await reply.text(), service.name)
      }
    }
    await a.tracing.forceFlush()
    await b.tracing.forceFlush()

    // A: every request is a server span with a manual span and a client span under it; B: none.
    const names = a.receiver.spans.map((span) => span.name)
    assert.equal(names.filter((name) => name === 'service-a.work').length, 5)
    assert.equal(names.filter((name) => name === 'GET').length, 10, 'server and client spans')
    assert.ok(a.receiver.spans.every((span) => span.resource['service.name'] === 'service-a'))
    assert.deepEqual(b.receiver.spans, [], "B's ratio 0 is not A's 1")

    // Log lines: A's carry the ids of A's exported spans; B's, unsampled ids never exported by A.
    const aTraces = new Set(a.receiver.spans.map((span) => span.traceId))
    const aManual = new Set(a.receiver.spans.filter((s) => s.name === 'service-a.work').map((s) => s.spanId))
    const aInSpan = a.logs.withMessage('service-a in span')
    assert.equal(aInSpan.length, 5)
    for (const line of aInSpan) {
      assert.ok(aTraces.has(line.trace_id as string))
      assert.ok(aManual.has(line.span_id as string), 'the manual span of this instance')
      assert.equal(line.trace_flags, '01')
    }
    await b.logs.waitFor((line) => line.msg === 'service-b in span')
    // (An unsampled request's ids are made when first needed: its first line may have none yet.)
    for (const line of b.logs.withMessage('service-b handler')) assert.match(String(line.request_id), /^service-b-/)
    const bInSpan = b.logs.withMessage('service-b in span')
    assert.equal(bInSpan.length, 5)
    for (const line of bInSpan) {
      assert.equal(aTraces.has(line.trace_id as string), false)
      assert.equal(line.trace_flags, '00')
      assert.match(String(line.request_id), /^service-b-/)
    }
    for (const line of a.logs.lines) assert.doesNotMatch(String(line.request_id ?? ''), /service-b/)

    // Outgoing calls carry the caller's own trace and request id, without any global propagator.
    const fromA = downstreamHeaders.filter((headers) => String(headers['x-request-id']).startsWith('service-a'))
    const fromB = downstreamHeaders.filter((headers) => String(headers['x-request-id']).startsWith('service-b'))
    assert.equal(fromA.length, 5)
    assert.equal(fromB.length, 5)
    for (const headers of fromA) assert.ok(aTraces.has(String(headers.traceparent).split('-')[1]!))
    for (const headers of fromB) {
      // Unsampled, in a trace B started: the random trace-id flag (02) only.
      assert.match(String(headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/)
      assert.equal(aTraces.has(String(headers.traceparent).split('-')[1]!), false)
    }
  })

  test("the application's tracer provider and diag logger are left as they were", () => {
    const registered = trace.getTracerProvider() as unknown as { getDelegate(): unknown }
    assert.equal(registered.getDelegate(), appProvider)
    diag.warn('still the application logger')
    assert.ok(diagMessages.includes('still the application logger'))
  })

  test('global: true makes an instance the process tracer, and shutting it down gives the API back', async () => {
    const logs = new LogCapture()
    const sightline = createSightline({ service: 'global', logDestination: logs, shutdown: { signals: false } })
    const tracing = await setupTracing(sightline, { global: true, exporter: 'none' })
    const registered = trace.getTracerProvider() as unknown as { getDelegate(): unknown }
    assert.notEqual(registered.getDelegate(), appProvider)
    await tracing.shutdown()
    await sightline.close()
    // Diag survives this one too: Sightline never silences the application's diag logger.
    diag.warn('after a global instance')
    assert.ok(diagMessages.includes('after a global instance'))
  })
})
