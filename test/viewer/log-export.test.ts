/**
 * @module test/viewer/log-export
 * Sightline's log lines reach the viewer over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, while
 * stdout (here a captured destination) stays exactly as it was; the tee's queue is bounded and what
 * it drops is counted.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { Sightline } from '../../src/core/sightline.js'
import { OtlpLogTee } from '../../src/logging-otlp/index.js'
import { Viewer } from '../../src/viewer/index.js'
import { LogCapture } from '../helpers/logs.js'
import { close, listen } from '../helpers/server.js'
import { getJson } from './helpers.js'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const SPAN_ID = 'b7ad6b7169203331'

describe('Sightline log records over OTLP to the viewer', () => {
  const viewer = new Viewer({ port: 0 })
  let base = ''
  before(async () => {
    base = await viewer.listen()
  })
  after(() => viewer.close())

  it('exports request log lines (with request_id) beside unchanged stdout lines', async () => {
    const capture = new LogCapture()
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = base
    let sightline: Sightline
    try {
      sightline = new Sightline({ service: 'exporting-app', logDestination: capture, shutdown: { signals: false } })
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved
    }
    const server = createServer(
      sightline.wrap((_req, res) => {
        sightline.logger.info({ patient: 42 }, 'looked up <b>patient</b>')
        res.end('ok')
      }),
    )
    const url = await listen(server)
    const response = await fetch(`${url}/p`)
    const requestId = response.headers.get('x-request-id')!
    await response.text()
    sightline.logger.info({ trace_id: TRACE_ID, span_id: SPAN_ID }, 'inside a span')
    await sightline.close()
    await close(server)

    // stdout: the same JSON lines as without export.
    const line = await capture.waitFor((l) => l.msg === 'looked up <b>patient</b>')
    assert.equal(line.request_id, requestId)
    assert.equal(line.patient, 42)

    const logs = await getJson<{
      logs: { body: string; level: string; service: string; attributes: Record<string, unknown> }[]
    }>(`${base}/api/logs?requestId=${requestId}`)
    const bodies = logs.logs.map((l) => l.body)
    assert.ok(bodies.includes('looked up <b>patient</b>'), JSON.stringify(bodies))
    const exported = logs.logs.find((l) => l.body === 'looked up <b>patient</b>')!
    assert.equal(exported.service, 'exporting-app')
    assert.equal(exported.level, 'info')
    assert.equal(exported.attributes.patient, 42)
    // The access line of the same request is exported too.
    assert.ok(logs.logs.length >= 2, `expected the access line too, got ${JSON.stringify(bodies)}`)

    const traced = await getJson<{ logs: { body: string; spanId: string }[] }>(`${base}/api/logs?traceId=${TRACE_ID}`)
    assert.deepEqual(
      traced.logs.map((l) => [l.body, l.spanId]),
      [['inside a span', SPAN_ID]],
    )
  })

  it('bounds its queue, counts drops, and reports a failing endpoint once', async () => {
    const capture = new LogCapture()
    const dead = createServer()
    const deadUrl = await listen(dead)
    await close(dead) // nothing listens there any more
    const errors: Error[] = []
    const tee = new OtlpLogTee(capture as never, {
      endpoint: `${deadUrl}/v1/logs`,
      service: 'x',
      maxQueue: 10,
      maxBatch: 100,
      flushMs: 60_000,
      onError: (error) => errors.push(error),
    })
    for (let i = 0; i < 25; i++) tee.write(`{"level":"info","time":${Date.now()},"msg":"line ${i}"}\n`)
    assert.equal(capture.lines.length, 25, 'every line still reaches the destination')
    assert.deepEqual(tee.stats, { queued: 10, exported: 0, dropped: 15, failedBatches: 0 })
    await tee.forceFlush()
    assert.deepEqual(tee.stats, { queued: 10, exported: 0, dropped: 25, failedBatches: 1 })
    for (let i = 0; i < 3; i++) tee.write(`{"level":"info","msg":"again ${i}"}\n`)
    await tee.forceFlush()
    assert.equal(tee.stats.failedBatches, 2)
    assert.equal(errors.length, 1, 'reported once')
  })
})
