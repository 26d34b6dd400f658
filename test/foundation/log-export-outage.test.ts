/**
 * @module test/foundation/log-export-outage
 * A collector that goes down, comes back and goes down again, under a Sightline exporting its log
 * lines (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT): every record lost is on
 * `sightline_log_records_dropped_total{reason}`, each outage is told (not only the process' first)
 * and so is each recovery, and none of Sightline's own lines carries a request's ids — not even
 * one told from inside a request.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createSightline } from 'sightline'
import { METRIC_LOG_RECORDS_DROPPED } from 'sightline/names'
import { setupTracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'

const BATCH_DELAY_MS = 1000 // the tee's flush interval: a line waits at most this long

test('log export through two outages: counted, told per outage and recovery, no request context', async () => {
  let failing = true
  let received = 0
  const collector = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (!failing) received++
      res.statusCode = failing ? 503 : 200
      res.end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const { port } = collector.address() as AddressInfo
  process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = `http://127.0.0.1:${port}/v1/logs`
  const logs = new LogCapture()
  let sightline: ReturnType<typeof createSightline>
  try {
    sightline = createSightline({ service: 'outage', logDestination: logs, shutdown: { signals: false } })
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT
  }
  const tracing = await setupTracing(sightline, { exporter: 'none', ratio: 1 })
  const app = sightline.instrument(
    createServer((_req, res) => {
      // An internal failure told while a request (and its span) is active.
      sightline.report(new Error('something internal'), 'test.inside-request')
      sightline.logger.info('handled')
      res.end('ok')
    }),
  )
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`
  const phase = async (requests: number) => {
    for (let i = 0; i < requests; i++) assert.equal((await fetch(url)).status, 200)
    await new Promise((resolve) => setTimeout(resolve, BATCH_DELAY_MS + 400))
  }
  try {
    await phase(3) // down
    failing = false
    await phase(2) // back
    failing = true
    await phase(2) // down again
    const own = logs.lines.filter((l) => typeof l.msg === 'string' && /^(log export|sightline internal)/.test(l.msg))
    assert.deepEqual(
      own.map((l) => l.msg),
      [
        'sightline internal error',
        'log export failing; the records are dropped',
        'log export recovered',
        'log export failing; the records are dropped',
      ],
    )
    for (const line of own) {
      assert.equal(line.request_id, undefined, JSON.stringify(line))
      assert.equal(line.trace_id, undefined, JSON.stringify(line))
    }
    // The request's own lines do carry them: the test would see a leak.
    const handled = logs.lines.find((l) => l.msg === 'handled')
    assert.equal(typeof handled?.request_id, 'string')
    assert.equal(typeof handled?.trace_id, 'string')
    assert.ok(received > 0)
    const samples = parseMetrics(await sightline.metrics.render(false))
    const dropped = sampleValue(samples, METRIC_LOG_RECORDS_DROPPED, { reason: 'export_failed' }) ?? 0
    // Down: 3 requests × (internal line once + handled + access line) minus the once-a-minute report.
    assert.ok(dropped >= 7, `export_failed ${dropped}`)
  } finally {
    await new Promise((resolve) => app.close(resolve))
    await tracing.shutdown()
    await sightline.close()
    await new Promise((resolve) => collector.close(resolve))
  }
})
