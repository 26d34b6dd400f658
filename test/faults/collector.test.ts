/**
 * @module test/faults/collector
 * The collector in trouble at the TCP level — black-holed, resetting, slow — between a traced app
 * and a real OTLP receiver (the viewer), with spans and log lines exported the default way
 * (http/protobuf from the export worker; log lines by the tee): every request is still answered,
 * none waits on the collector, what is lost is counted (spans and log records), and once the
 * collector answers again both signals arrive again without a restart.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { Viewer } from '@sightline/viewer'
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'
import { type FaultMode, FaultProxy } from '../helpers/fault-proxy.js'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'

const PHASE_MS = 1500
const CLIENTS = 4

interface Phase {
  mode: FaultMode
  requests: number
  failed: number
  slowestMs: number
}

test('collector black-holed, resetting and slow: requests unharmed, losses counted, recovery', async () => {
  const viewer = new Viewer({ port: 0 })
  const viewerUrl = new URL(await viewer.listen())
  const proxy = await new FaultProxy(viewerUrl.hostname, Number(viewerUrl.port)).start()
  proxy.delayMs = 300
  const collector = `http://127.0.0.1:${proxy.port}`
  process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = `${collector}/v1/logs`
  const logs = new LogCapture()
  let sightline: ReturnType<typeof createSightline>
  try {
    sightline = createSightline({ service: 'faults', logDestination: logs, shutdown: { signals: false } })
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT
  }
  const tracing = await setupTracing(sightline, {
    endpoint: `${collector}/v1/traces`,
    ratio: 1,
    scheduledDelayMillis: 100,
    exportTimeoutMillis: 1000,
  })
  const app = sightline.instrument(
    createServer((_req, res) => {
      sightline.logger.info('handled')
      res.end('ok')
    }),
  )
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/work`
  const stored = async () => {
    const stats = (await (await fetch(`${viewerUrl.origin}/api/stats`)).json()) as {
      counters: { spans: number; logs: number }
    }
    return stats.counters
  }
  const load = async (mode: FaultMode): Promise<Phase> => {
    proxy.set(mode)
    const phase: Phase = { mode, requests: 0, failed: 0, slowestMs: 0 }
    const until = Date.now() + PHASE_MS
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < until) {
          const started = performance.now()
          const response = await fetch(url).catch(() => undefined)
          await response?.arrayBuffer()
          phase.requests++
          if (response?.status !== 200) phase.failed++
          phase.slowestMs = Math.max(phase.slowestMs, performance.now() - started)
        }
      }),
    )
    return phase
  }
  try {
    const phases = [await load('pass')]
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const before = await stored()
    assert.ok(before.spans > 0 && before.logs > 0, `delivered while healthy: ${JSON.stringify(before)}`)
    for (const mode of ['blackhole', 'reset', 'delay'] as const) phases.push(await load(mode))
    phases.push(await load('pass'))
    for (const phase of phases) {
      assert.equal(phase.failed, 0, JSON.stringify(phase))
      assert.ok(phase.requests > 50, JSON.stringify(phase))
      // Generous: a CI machine is slow, but a request waiting on an export would take a second.
      assert.ok(phase.slowestMs < 500, JSON.stringify(phase))
    }
    const samples = parseMetrics(await sightline.metrics.render(false))
    const spansLost = sampleValue(samples, 'sightline_spans_dropped_total', { reason: 'export_failed' }) ?? 0
    const recordsLost = sampleValue(samples, 'sightline_log_records_dropped_total', { reason: 'export_failed' }) ?? 0
    assert.ok(spansLost > 0, 'lost spans are counted')
    assert.ok(recordsLost > 0, 'lost log records are counted')
    // Both signals arrive again, without a restart.
    let after = await stored()
    for (let i = 0; i < 40 && !(after.spans > before.spans && after.logs > before.logs); i++) {
      await fetch(url).then((r) => r.arrayBuffer())
      await new Promise((resolve) => setTimeout(resolve, 250))
      after = await stored()
    }
    assert.ok(after.spans > before.spans && after.logs > before.logs, JSON.stringify({ before, after }))
    const told = logs.lines.map((l) => String(l.msg))
    assert.ok(told.includes('log export failing; the records are dropped'), told.join('\n'))
    assert.ok(told.includes('log export recovered'))
    assert.ok(told.includes('span export failed; the spans are dropped'))
  } finally {
    proxy.set('pass')
    await new Promise((resolve) => app.close(resolve))
    await tracing.shutdown().catch(() => {})
    await sightline.close()
    await proxy.close()
    await viewer.close()
  }
})
