/**
 * @module test/metrics-otlp/zero-code
 * The zero-code launcher with the standard variables only (`OTEL_METRICS_EXPORTER=otlp,prometheus`,
 * `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`): an unmodified node:http app pushes its metrics, the deltas add
 * up to the ops port's `/metrics`, the resource is the spans' (`OTEL_RESOURCE_ATTRIBUTES`
 * included), and SIGTERM's shutdown sends the last requests before the process exits. A bad
 * value of `OTEL_METRICS_EXPORTER` stops the start with the option's coded error.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { findSamples, parseMetrics } from '../helpers/metrics.js'
import { metricNamed, OtlpMetricsReceiver } from '../helpers/otlp-metrics-decoder.js'
import { collectJsonLines } from '../helpers/process.js'
import { freePort } from '../helpers/server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`
const APP = `${ROOT}test/fixtures/zero-code/http.mjs`

async function waitFor(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await (await fetch(url)).arrayBuffer()
      return
    } catch (error) {
      if (i > 150) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

let receiver: OtlpMetricsReceiver
before(async () => {
  receiver = await new OtlpMetricsReceiver().start()
})
after(() => receiver.close())

const pushedCount = (requests: typeof receiver.requests) =>
  requests
    .flatMap((r) => metricNamed(r, 'http.server.request.duration')?.points ?? [])
    .reduce((n, p) => n + (p.count ?? 0), 0)

describe('node --import sightline/register with OTEL_METRICS_EXPORTER=otlp,prometheus', () => {
  test('pushes delta metrics that add up to /metrics, with the resource, and a last export at SIGTERM', async () => {
    const [port, opsPort] = [await freePort(), await freePort()]
    const child = spawn(process.execPath, ['--import', REGISTER, APP], {
      env: {
        ...process.env,
        PORT: String(port),
        SIGHTLINE_OPS_PORT: String(opsPort),
        SIGHTLINE_SERVICE_NAME: 'zero-metrics',
        SIGHTLINE_ROUTES: '/users/:id',
        SIGHTLINE_SHUTDOWN_DELAY_MS: '0',
        LOG_FORMAT: 'json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRICS_EXPORTER: 'otlp,prometheus',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging',
        OTEL_TRACES_SAMPLER_ARG: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    collectJsonLines(child)
    let exited = false
    try {
      await waitFor(`http://127.0.0.1:${port}/users/0`)
      for (let i = 1; i <= 6; i++) await (await fetch(`http://127.0.0.1:${port}/users/${i}`)).text()
      await new Promise((resolve) => setTimeout(resolve, 800))
      const samples = parseMetrics(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text())
      const scraped = findSamples(samples, 'http_server_request_duration_seconds_count').reduce(
        (n, s) => n + s.value,
        0,
      )
      assert.equal(scraped, 7)
      const deadline = Date.now() + 5000
      while (pushedCount(receiver.requests) < scraped && Date.now() < deadline)
        await receiver.waitFor(receiver.requests.length + 1)
      assert.equal(pushedCount(receiver.requests), scraped)
      const request = receiver.requests.find((r) => metricNamed(r, 'http.server.request.duration') !== undefined)!
      assert.equal(metricNamed(request, 'http.server.request.duration')?.temporality, 1)
      assert.equal(request.resource['service.name'], 'zero-metrics')
      assert.equal(request.resource['deployment.environment.name'], 'staging')
      assert.equal(request.resource['process.pid'], child.pid)
      const route = metricNamed(request, 'http.server.request.duration')?.points[0]?.attributes['http.route']
      assert.equal(route, '/users/:id')

      // Two more, then SIGTERM at once: the shutdown's flush pushes them before the exit.
      await (await fetch(`http://127.0.0.1:${port}/users/8`)).text()
      await (await fetch(`http://127.0.0.1:${port}/users/9`)).text()
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit')
      exited = true
      assert.equal(code, 0)
      assert.equal(pushedCount(receiver.requests), 9)
    } finally {
      if (!exited) {
        child.kill('SIGKILL')
        await once(child, 'exit')
      }
    }
  })

  test('an unknown exporter name stops the start with SIGHTLINE_ERR_INVALID_OPTION', async () => {
    const child = spawn(process.execPath, ['--import', REGISTER, APP], {
      env: { ...process.env, PORT: String(await freePort()), OTEL_METRICS_EXPORTER: 'otlp,statsd', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const [code] = await once(child, 'exit')
    assert.notEqual(code, 0)
    assert.match(output, /SIGHTLINE_ERR_INVALID_OPTION|OTEL_METRICS_EXPORTER/)
    assert.match(output, /statsd/)
  })
})
