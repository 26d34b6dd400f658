/**
 * @module test/tracing/exemplars
 * Any histogram observed inside a sampled span gets that span as its bucket's exemplar — a custom
 * one like the brief's payment histogram, not only the HTTP one: inside a request, the server span;
 * inside a manual span, that span; outside any span or in an unsampled request, none.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createSightline } from 'sightline'
import { setupTracing, withSpan } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics } from '../helpers/metrics.js'

test('custom histograms get exemplars from the sampled span they are observed in', async () => {
  const logs = new LogCapture()
  const sightline = createSightline({ service: 'exemplars', logDestination: logs, shutdown: { signals: false } })
  const tracing = await setupTracing(sightline, { exporter: 'none', ratio: 1 })
  const payment = sightline.metrics.histogram({
    name: 'app_payment_duration_seconds',
    help: 'Time spent with the payment provider.',
    buckets: [0.1, 0.5, 1, 2],
  })
  const app = sightline.instrument(
    createServer(async (_req, res) => {
      payment.observe(0.05) // the request's server span
      await withSpan('charge', async () => {
        sightline.logger.info('charging')
        payment.observe(0.7) // the manual span
      })
      sightline.logger.info('handled')
      res.end('ok')
    }),
  )
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  try {
    payment.observe(1.5) // outside any request or span: no exemplar
    await (await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`)).text()
    await new Promise((resolve) => setTimeout(resolve, 150))
    const handled = await logs.waitFor((l) => l.msg === 'handled')
    const charging = await logs.waitFor((l) => l.msg === 'charging')
    const buckets = parseMetrics(await sightline.metrics.render(true)).filter(
      (s) => s.name === 'app_payment_duration_seconds_bucket',
    )
    const exemplarOf = (le: string) => buckets.find((s) => s.labels.le === le)?.exemplar
    assert.equal(exemplarOf('0.1')?.labels.trace_id, handled.trace_id)
    assert.equal(exemplarOf('0.1')?.labels.span_id, handled.span_id, 'the server span')
    assert.equal(exemplarOf('1.0')?.labels.trace_id, handled.trace_id)
    assert.equal(exemplarOf('1.0')?.labels.span_id, charging.span_id, 'the manual span')
    assert.notEqual(charging.span_id, handled.span_id)
    assert.equal(exemplarOf('2.0'), undefined, 'outside any span')
  } finally {
    await new Promise((resolve) => app.close(resolve))
    await tracing.shutdown()
    await sightline.close()
  }
})

test('an unsampled request gives no exemplar', async () => {
  const sightline = createSightline({
    service: 'exemplars-0',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const tracing = await setupTracing(sightline, { exporter: 'none', ratio: 0 })
  const h = sightline.metrics.histogram({ name: 'work_seconds', help: 'x', buckets: [1] })
  const app = sightline.instrument(
    createServer((_req, res) => {
      h.observe(0.5)
      res.end('ok')
    }),
  )
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  try {
    await (await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`)).text()
    const buckets = parseMetrics(await sightline.metrics.render(true)).filter((s) => s.name === 'work_seconds_bucket')
    assert.ok(buckets.length > 0)
    assert.ok(buckets.every((s) => s.exemplar === undefined))
  } finally {
    await new Promise((resolve) => app.close(resolve))
    await tracing.shutdown()
    await sightline.close()
  }
})
