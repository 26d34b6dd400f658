/**
 * @module test/tracing/client-metrics
 * `http_client_request_duration_seconds` (OpenTelemetry's http.client.request.duration) for every
 * outgoing call made while serving a request, sampled or not, through fetch and node:http alike:
 * by method, server address and port, status, and error type (a 4xx/5xx status, or the error's
 * code); the duration runs until the response's body is in.
 */
import assert from 'node:assert/strict'
import { createServer, get } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createSightline } from 'sightline'
import { METRIC_HTTP_CLIENT_DURATION } from 'sightline/names'
import { setupTracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'

const BODY_MS = 200

test('outgoing calls are timed by method, peer, status and error, sampled or not', async () => {
  const downstream = createServer((req, res) => {
    if (req.url === '/fail') {
      res.statusCode = 503
      res.end('down')
      return
    }
    res.write('part')
    setTimeout(() => res.end('rest'), BODY_MS)
  })
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve))
  const port = (downstream.address() as AddressInfo).port
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))

  const sightline = createSightline({
    service: 'client-metrics',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  // Nothing sampled: the metric does not depend on the span.
  const tracing = await setupTracing(sightline, { exporter: 'none', ratio: 0 })
  const app = sightline.instrument(
    createServer(async (_req, res) => {
      await (await fetch(`http://127.0.0.1:${port}/slow`)).text()
      await new Promise<void>((resolve) =>
        get(`http://127.0.0.1:${port}/fail`, (r) => {
          r.resume()
          r.on('end', resolve)
        }),
      )
      await fetch(`http://127.0.0.1:${closedPort}/`).catch(() => {})
      res.end('ok')
    }),
  )
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  try {
    await (await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`)).text()
    const samples = parseMetrics(await sightline.metrics.render(false))
    const labels = (p: number, status: string, error: string) => ({
      http_request_method: 'GET',
      server_address: '127.0.0.1',
      server_port: String(p),
      http_response_status_code: status,
      error_type: error,
    })
    assert.equal(sampleValue(samples, `${METRIC_HTTP_CLIENT_DURATION}_count`, labels(port, '200', '')), 1)
    const slowSum = sampleValue(samples, `${METRIC_HTTP_CLIENT_DURATION}_sum`, labels(port, '200', '')) ?? 0
    assert.ok(slowSum >= (BODY_MS - 20) / 1000, `the body's time is in the duration: ${slowSum}`)
    assert.equal(sampleValue(samples, `${METRIC_HTTP_CLIENT_DURATION}_count`, labels(port, '503', '503')), 1)
    const refused = samples.filter(
      (s) => s.name === `${METRIC_HTTP_CLIENT_DURATION}_count` && s.labels.server_port === String(closedPort),
    )
    assert.equal(refused.length, 1, JSON.stringify(refused))
    assert.notEqual(refused[0]?.labels.error_type, '')
    assert.equal(refused[0]?.labels.http_response_status_code, '0')
  } finally {
    await new Promise((resolve) => app.close(resolve))
    await tracing.shutdown()
    await sightline.close()
    await new Promise((resolve) => downstream.close(resolve))
  }
})
