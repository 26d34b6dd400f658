#!/usr/bin/env node
// @module bench/viewer-ingest
// How many spans per second the viewer ingests over OTLP/HTTP protobuf, and whether its UI API stays
// responsive meanwhile. The viewer runs in its own process (pinned to core 0 when taskset exists);
// this process sends pre-encoded batches (real spans from the OpenTelemetry SDK, serialised by the
// OTLP exporters' own protobuf serializer) with a few requests in flight, while polling
// GET /api/traces and GET /api/services every 100 ms and recording their latency.
// Not a test: run `npm run build && node bench/viewer-ingest.mjs`. Env: BENCH_SECONDS (10),
// BENCH_BATCH (spans per request, 512), BENCH_INFLIGHT (4), BENCH_RATE (spans/s to offer; 0 = as fast as it takes).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { context, SpanKind, trace } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const BATCH = Number(process.env.BENCH_BATCH ?? 512)
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 4)
const RATE = Number(process.env.BENCH_RATE ?? 0)
const TRACES = 40_000 // 5 spans each: 200,000 distinct spans, more than the store keeps
const ROUTES = ['/api/patients/:id', '/api/appointments', '/api/payments', '/api/signups', '/healthz']

function makeBodies() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-api' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('bench')
  for (let i = 0; i < TRACES; i++) {
    const route = ROUTES[i % ROUTES.length]
    const server = tracer.startSpan(`GET ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': route, 'http.response.status_code': i % 50 === 0 ? 500 : 200, request_id: `r${i}` },
    })
    const parent = trace.setSpan(context.active(), server)
    for (const name of ['validate', 'db.query', 'cache.get', 'render']) {
      const child = tracer.startSpan(name, { attributes: { 'db.system': 'postgresql', n: i } }, parent)
      child.end()
    }
    server.end()
  }
  const spans = exporter.getFinishedSpans()
  const bodies = []
  for (let i = 0; i < spans.length; i += BATCH) {
    bodies.push({
      body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + BATCH))),
      spans: Math.min(BATCH, spans.length - i),
    })
  }
  return bodies
}

async function startViewer() {
  const pin = cpus().length >= 2 && existsSync('/usr/bin/taskset')
  const script = `import('@sightline/viewer').then(async ({ startViewer }) => {
    const viewer = await startViewer({ port: 0 }); console.log(viewer.url) })`
  const args = ['--input-type=module', '-e', script]
  const child = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve) => child.stdout.once('data', (data) => resolve(String(data).trim())))
  return { child, url, pinned: pin }
}

function percentile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

const bodies = makeBodies()
const { child, url, pinned } = await startViewer()
let sent = 0
let next = 0
const deadline = Date.now() + SECONDS * 1000
const started = performance.now()

async function sender() {
  while (Date.now() < deadline) {
    if (RATE > 0) {
      // Offer a steady rate: wait until the spans sent so far are due.
      const due = started + (sent / RATE) * 1000
      if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()))
    }
    const batch = bodies[next++ % bodies.length]
    const response = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: batch.body,
    })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
    sent += batch.spans
  }
}

const uiLatencies = []
const warmupLatencies = []
const WARMUP_MS = 2000
async function poller() {
  while (Date.now() < deadline) {
    for (const path of ['/api/traces?limit=200', '/api/services']) {
      const t0 = performance.now()
      const response = await fetch(`${url}${path}`)
      await response.arrayBuffer()
      // The first two seconds are JIT warm-up on both sides; they are reported apart.
      if (t0 - started > WARMUP_MS) uiLatencies.push(performance.now() - t0)
      else warmupLatencies.push(performance.now() - t0)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

await Promise.all([...Array.from({ length: INFLIGHT }, sender), poller()])
const elapsed = (performance.now() - started) / 1000
const stats = await (await fetch(`${url}/api/stats`)).json()
child.kill()
uiLatencies.sort((a, b) => a - b)
const result = {
  spansPerSecond: Math.round(stats.counters.spans / elapsed),
  spansSent: sent,
  spansReceived: stats.counters.spans,
  seconds: Number(elapsed.toFixed(1)),
  batch: BATCH,
  offeredRate: RATE || 'unthrottled',
  inflight: INFLIGHT,
  viewerPinnedToOneCore: pinned,
  tracesKept: stats.size.traces,
  uiApiLatencyMs: {
    p50: Number(percentile(uiLatencies, 0.5).toFixed(1)),
    p99: Number(percentile(uiLatencies, 0.99).toFixed(1)),
    max: Number((uiLatencies.at(-1) ?? 0).toFixed(1)),
    samples: uiLatencies.length,
  },
  uiApiLatencyFirst2sMaxMs: Number(Math.max(0, ...warmupLatencies).toFixed(1)),
}
console.log(JSON.stringify(result, null, 2))
