/**
 * @module test/tracing/sampling-threshold.test
 * Sightline's own 10 % sampling, as a receiver sees it: every server span of a new trace carries
 * `ot=th:…` in its tracestate, so the viewer weighs each as 10 requests (the count it shows is the
 * spans it received times ten, every span weighted), and the estimate lands near the requests sent.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { Viewer } from '@sightline/viewer'
import { createSightline } from 'sightline'
import { instrumentServer } from 'sightline/http'
import { setupTracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'

const REQUESTS = 3000
const CLIENTS = 8

interface RouteSummary {
  route: string
  count: number
  spans: number
  weightedSpans: number
}

test('spans sampled at 10 % carry their threshold: the viewer counts each as ten requests', async () => {
  const viewer = new Viewer({ port: 0 })
  const base = await viewer.listen()
  const sightline = createSightline({
    service: 'threshold-api',
    logDestination: new LogCapture(),
    shutdown: { signals: false },
  })
  const tracing = await setupTracing(sightline, {
    endpoint: `${base}/v1/traces`,
    ratio: 0.1,
    scheduledDelayMillis: 100,
  })
  const app = instrumentServer(
    createServer((_req, res) => res.end('ok')),
    { sightline, routes: ['/api/things/:id'] },
  )
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  try {
    let next = 0
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < REQUESTS) {
          next++
          await (await fetch(`${url}/api/things/${next}`)).arrayBuffer()
        }
      }),
    )
    await tracing.forceFlush()
    let route: RouteSummary | undefined
    for (let i = 0; i < 40; i++) {
      const body = (await (await fetch(`${base}/api/services`)).json()) as {
        services: { service: string; routes: RouteSummary[] }[]
      }
      route = body.services
        .find((s) => s.service === 'threshold-api')
        ?.routes.find((r) => r.route === '/api/things/:id')
      if (route !== undefined && route.spans > 0) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    assert.ok(route !== undefined, 'the route reached the viewer')
    // Every span carried a probability, and each stands for 1 / 0.1 requests.
    assert.equal(route.weightedSpans, route.spans)
    assert.ok(Math.abs(route.count - route.spans * 10) < 1e-6 * route.count, `${route.count} vs ${route.spans} spans`)
    // About a tenth were sampled (binomial, n = 3000: 300 ± 16; the bounds are ±5 sigma).
    assert.ok(route.spans > 220 && route.spans < 380, `${route.spans} spans of ${REQUESTS}`)
  } finally {
    await new Promise((resolve) => app.close(resolve))
    await tracing.shutdown().catch(() => {})
    await sightline.close()
    await viewer.close()
  }
})
