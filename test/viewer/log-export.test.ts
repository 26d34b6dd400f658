/**
 * @module test/viewer/log-export
 * Sightline's log lines reach the viewer over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, while
 * stdout (here a captured destination) stays exactly as it was. (The tee's bounds: src/logging-otlp/otlp-log-tee.test.ts.)
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { Viewer } from '@sightline/viewer'
import { Sightline } from 'sightline'
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
})
