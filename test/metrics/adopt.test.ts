/**
 * @module test/metrics/adopt
 * A prom-client registry (custom metrics written before the migration) served on Sightline's
 * `/metrics` beside Sightline's own series: both formats, promtool, a real Prometheus, and name
 * clashes refused with SIGHTLINE_ERR_METRIC_CLASH at adoption, when Sightline makes a metric
 * later, and (left out of scrapes, counted) when prom-client makes one later.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, test } from 'node:test'
import client from 'prom-client'
import { createSightline, type Sightline } from 'sightline'
import { startPrometheus } from '../deploy/prometheus-server.js'
import { LogCapture } from '../helpers/logs.js'
import { findSamples, sampleValue } from '../helpers/metrics.js'
import { close, listen } from '../helpers/server.js'
import { promtoolFindings, scrape } from './harness.js'

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0'

async function startApp(): Promise<{ sightline: Sightline; logs: LogCapture; url: string; stop(): Promise<void> }> {
  const logs = new LogCapture()
  const sightline = createSightline({
    logFormat: 'json',
    logDestination: logs,
    shutdown: { signals: false, delayMs: 0 },
    crash: false,
  })
  const server = http.createServer(sightline.wrap((_req, res) => res.end('ok')))
  const url = await listen(server)
  return {
    sightline,
    logs,
    url,
    async stop() {
      await close(server)
      await sightline.close()
    },
  }
}

/** A registry as a service migrating from prom-client has one: default metrics, and its own. */
function legacyRegistry(): client.Registry {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry, prefix: 'legacy_' })
  const orders = new client.Counter({
    name: 'legacy_orders_total',
    help: 'Orders placed.',
    labelNames: ['status'],
    registers: [registry],
  })
  orders.inc({ status: 'paid' }, 3)
  orders.inc({ status: 'refunded' })
  new client.Gauge({ name: 'legacy_queue_depth', help: 'Jobs waiting.', registers: [registry] }).set(7)
  const latency = new client.Histogram({
    name: 'legacy_latency_seconds',
    help: 'Latency.',
    buckets: [0.1, 1],
    registers: [registry],
  })
  latency.observe(0.05)
  latency.observe(0.5)
  new client.Counter({ name: 'legacy_retries', help: 'Retries, named without _total.', registers: [registry] }).inc(2)
  return registry
}

describe('adopting a prom-client registry', () => {
  test("its series are served beside Sightline's, in both formats, promtool clean", async () => {
    const app = await startApp()
    try {
      app.sightline.metrics.adopt(legacyRegistry())
      await (await fetch(`${app.url}/work`)).text()
      const text = await scrape(`${app.url}/metrics`)
      assert.equal(text.status, 200)
      assert.equal(sampleValue(text.samples, 'legacy_orders_total', { status: 'paid' }), 3)
      assert.equal(sampleValue(text.samples, 'legacy_queue_depth'), 7)
      assert.equal(sampleValue(text.samples, 'legacy_latency_seconds_bucket', { le: '1' }), 2)
      assert.equal(sampleValue(text.samples, 'legacy_retries'), 2, 'a counter without _total keeps its name')
      assert.ok(findSamples(text.samples, 'legacy_process_cpu_seconds_total').length === 1)
      assert.equal(findSamples(text.samples, 'http_server_request_duration_seconds_count').length, 1)
      // prom-client's own default metrics break promtool's naming rules; Sightline adds no finding.
      const registry = legacyRegistry()
      assert.equal(await promtoolFindings(text.text), await promtoolFindings(await registry.metrics()))

      const om = await scrape(`${app.url}/metrics`, OPENMETRICS)
      assert.ok(om.text.endsWith('# EOF\n'))
      assert.equal(om.text.match(/# EOF/g)?.length, 1)
      assert.doesNotMatch(om.text, /\n\n/, 'no blank lines in OpenMetrics')
      assert.match(om.text, /^# TYPE legacy_orders counter$/m)
      assert.match(om.text, /^# TYPE legacy_retries counter$/m)
      assert.equal(sampleValue(om.samples, 'legacy_orders_total', { status: 'paid' }), 3)
      assert.equal(sampleValue(om.samples, 'legacy_retries_total'), 2)
    } finally {
      await app.stop()
    }
  })

  test('a real Prometheus scrapes both (OpenMetrics, as it asks with exemplar storage on)', async () => {
    const app = await startApp()
    const prometheus = await startPrometheus({ adopt: new URL(app.url).host }, [])
    try {
      app.sightline.metrics.adopt(legacyRegistry())
      await (await fetch(`${app.url}/work`)).text()
      const deadline = Date.now() + 20_000
      let orders: string | undefined
      while (Date.now() < deadline) {
        orders = (await prometheus.query('legacy_orders_total{status="paid"}')).data?.result[0]?.value[1]
        if (orders !== undefined) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      assert.equal(orders, '3', prometheus.output())
      const value = async (expr: string) => (await prometheus.query(expr)).data?.result[0]?.value[1]
      assert.equal(await value('up{job="adopt"}'), '1')
      assert.equal(await value('legacy_retries_total'), '2')
      assert.equal(await value('sum(http_server_request_duration_seconds_count)'), '1')
    } finally {
      await prometheus.stop()
      await app.stop()
    }
  })

  test('a name Sightline emits is refused at adoption, naming the metric', async () => {
    const app = await startApp()
    try {
      // The usual migration: prom-client's default metrics, unprefixed, beside Sightline's runtime ones.
      const defaults = new client.Registry()
      client.collectDefaultMetrics({ register: defaults })
      assert.throws(
        () => app.sightline.metrics.adopt(defaults),
        (error: Error & { code?: string }) =>
          error.code === 'SIGHTLINE_ERR_METRIC_CLASH' && /metric process_cpu_user_seconds_total /.test(error.message),
      )
      const http = new client.Registry()
      new client.Histogram({ name: 'http_server_request_duration_seconds', help: 'x', registers: [http] })
      assert.throws(
        () => app.sightline.metrics.adopt(http),
        (error: Error & { code?: string }) =>
          error.code === 'SIGHTLINE_ERR_METRIC_CLASH' && error.message.includes('http_server_request_duration_seconds'),
      )
      // Nothing of a refused registry is served.
      const text = await scrape(`${app.url}/metrics`)
      assert.equal(findSamples(text.samples, 'process_cpu_user_seconds_total').length, 1)
      assert.equal(await promtoolFindings(text.text), '')
    } finally {
      await app.stop()
    }
  })

  test('a metric Sightline makes after adoption under an adopted name throws', async () => {
    const app = await startApp()
    try {
      const registry = new client.Registry()
      new client.Counter({ name: 'app_signups_total', help: 'Signups.', registers: [registry] })
      app.sightline.metrics.adopt(registry)
      assert.throws(
        () => app.sightline.metrics.counter({ name: 'app_signups_total', help: 'Signups.' }),
        (error: Error & { code?: string }) =>
          error.code === 'SIGHTLINE_ERR_METRIC_CLASH' && error.message.includes('app_signups_total'),
      )
      // A histogram whose _count sample would be the adopted counter's family is refused too.
      assert.throws(
        () => app.sightline.metrics.histogram({ name: 'app_signups', help: 'x' }),
        (error: Error & { code?: string }) => error.code === 'SIGHTLINE_ERR_METRIC_CLASH',
      )
    } finally {
      await app.stop()
    }
  })

  test('a metric prom-client makes after adoption under a Sightline name is left out and counted', async () => {
    const app = await startApp()
    try {
      const registry = legacyRegistry()
      app.sightline.metrics.adopt(registry)
      const later = new client.Gauge({
        name: 'http_server_active_requests',
        help: 'Made later.',
        registers: [registry],
      })
      later.set(99)
      const first = await scrape(`${app.url}/metrics`)
      assert.equal(findSamples(first.samples, 'http_server_active_requests').length, 1)
      // The refusal is counted as the first scrape renders the adopted registry: the next one shows it.
      const text = await scrape(`${app.url}/metrics`)
      const active = findSamples(text.samples, 'http_server_active_requests')
      assert.equal(active.length, 1)
      assert.notEqual(active[0]?.value, 99, "Sightline's own series, not the adopted one")
      assert.equal(sampleValue(text.samples, 'legacy_queue_depth'), 7, 'the rest of the registry is still served')
      assert.equal(
        sampleValue(text.samples, 'sightline_metrics_adopted_refused_total', { metric: 'http_server_active_requests' }),
        1,
      )
      assert.equal(await promtoolFindings(text.text), await promtoolFindings(await legacyRegistry().metrics()))
      assert.ok(
        app.logs.lines.some((line) =>
          String(line.err && (line.err as { message?: string }).message).includes('http_server_active_requests'),
        ),
      )
    } finally {
      await app.stop()
    }
  })
})
