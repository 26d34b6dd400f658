// @module bench/micro
// Micro-benchmarks of the hot pieces (ns per call, tight loops: a guide, not a verdict) and of
// /metrics exposition at 1k and 10k series. Run alone (`node bench/micro.mjs`) or from run.mjs.
import { openSync } from 'node:fs'
import { Writable } from 'node:stream'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { BasicTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base'
import { destination } from 'pino'
import { HTTP_DURATION_BUCKETS as HTTP_BUCKETS } from '../packages/sightline/dist/src/core/constants.js'
import { AccessLog } from '../packages/sightline/dist/src/core/logging/access-log.js'
import { LineWriter } from '../packages/sightline/dist/src/core/logging/line-writer.js'
import { createLogger } from '../packages/sightline/dist/src/core/logging/logger.js'
import { HttpMetrics } from '../packages/sightline/dist/src/core/metrics/http-metrics.js'
import { Registry } from '../packages/sightline/dist/src/core/metrics/registry.js'
import { RequestContext, storage } from '../packages/sightline/dist/src/core/pipeline/context.js'
import { createRequestIdGenerator, isSafeRequestId } from '../packages/sightline/dist/src/core/pipeline/request-id.js'
import { RouteTable } from '../packages/sightline/dist/src/core/pipeline/routes.js'
import { HandoverIdGenerator } from '../packages/sightline/dist/src/tracing/ids.js'
import { createProtobufSpanExporter } from '../packages/sightline/dist/src/tracing/main-thread-exporter.js'
import { HandoverSampler } from '../packages/sightline/dist/src/tracing/sdk.js'
import { ServerSpans } from '../packages/sightline/dist/src/tracing/server-spans.js'
import { startDiscardingReceiver } from './lib.mjs'

function nsPerCall(fn, iterations = 1_000_000) {
  for (let i = 0; i < iterations / 10; i++) fn(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / iterations
}

const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() })
const fakeReq = { url: '/api/patients/42?x=1', method: 'GET', headers: { 'content-length': '17' } }
const fakeRes = { getHeader: () => '87' }

/**
 * Process CPU time (every thread, so the threadpool's writes count) per call, with the event loop
 * turning every `perTick` calls so that asynchronous writes complete as they would in a server.
 */
async function cpuNsPerCall(fn, total = 1_000_000, perTick = 50) {
  const start = process.cpuUsage()
  for (let done = 0; done < total; done += perTick) {
    for (let i = 0; i < perTick; i++) fn()
    await new Promise(setImmediate)
  }
  const used = process.cpuUsage(start)
  return ((used.user + used.system) * 1000) / total
}

/** One access line written to /dev/null: Sightline's line writer against pino's sonic-boom. */
async function writerBenchmarks(line) {
  const fd = openSync('/dev/null', 'w')
  const options = { fd, batchChars: 16000, flushMs: 100, maxBufferedChars: 8 << 20 }
  const writer = new LineWriter({ ...options, sync: true })
  const threadpool = new LineWriter({ ...options, sync: false })
  const sonic = destination({ dest: fd, sync: false, minLength: 16000 })
  const idle = await cpuNsPerCall(() => undefined)
  const rows = [
    [
      `log writer: one ${line.length}-byte line to /dev/null, Sightline's LineWriter (CPU of all threads)`,
      (await cpuNsPerCall(() => writer.write(line))) - idle,
    ],
    [
      'log writer: the same, written through the threadpool as for a pipe',
      (await cpuNsPerCall(() => threadpool.write(line))) - idle,
    ],
    [
      'log writer: the same line through pino.destination (sonic-boom, async, minLength 16 KB)',
      (await cpuNsPerCall(() => sonic.write(line))) - idle,
    ],
  ]
  await Promise.all([writer.flush(), threadpool.flush()])
  sonic.flushSync()
  return rows
}

/**
 * What exporting costs per span: batches of 512 server spans (the processor's default batch)
 * encoded as OTLP/protobuf and POSTed to a receiver in this process that discards them. CPU of
 * every thread over the export calls only (building the spans is not counted), receiver included.
 */
async function exportNsPerSpan(create, batches = 60, batchSize = 512) {
  const receiver = await startDiscardingReceiver()
  const exporter = create({ url: `http://127.0.0.1:${receiver.port}/v1/traces`, timeoutMillis: 10000 })
  const tracer = new BasicTracerProvider().getTracer('bench')
  const attributes = {
    'http.request.method': 'GET',
    'url.path': '/users/42',
    'url.scheme': 'http',
    'network.protocol.version': '1.1',
    'server.address': '127.0.0.1',
    'server.port': 3000,
    'user_agent.original': 'wrk',
    'client.address': '127.0.0.1',
  }
  const batch = () =>
    Array.from({ length: batchSize }, () => {
      const span = tracer.startSpan('GET', { kind: 1, attributes })
      span.setAttribute('http.response.status_code', 200)
      span.setAttribute('http.route', '/users/:id')
      span.updateName('GET /users/:id')
      span.end()
      return span
    })
  let cpu = 0
  for (let i = 0; i < batches + 10; i++) {
    const spans = batch()
    const start = process.cpuUsage()
    const result = await new Promise((resolve) => exporter.export(spans, resolve))
    const used = process.cpuUsage(start)
    if (result.code !== 0) throw new Error(`export failed: ${result.error}`)
    if (i >= 10) cpu += used.user + used.system
  }
  await exporter.shutdown()
  receiver.close()
  return (cpu * 1000) / (batches * batchSize)
}

export async function microBenchmarks() {
  const rows = []
  const nextId = createRequestIdGenerator()
  rows.push(['request id: generate (prefix + counter)', nsPerCall(() => nextId())])
  rows.push([
    'request id: validate an incoming one',
    nsPerCall(() => isSafeRequestId('0f8fad5b-d9cb-469f-a165-70867728950e')),
  ])
  rows.push(['crypto.randomUUID() (for comparison)', nsPerCall(() => crypto.randomUUID())])

  const context = new RequestContext('k3j9x0q1v2m4-1', fakeReq, fakeRes, 0)
  rows.push(['context: AsyncLocalStorage.run', nsPerCall(() => storage.run(context, () => undefined))])

  const registry = new Registry()
  const metrics = new HttpMetrics(registry)
  const routes = new RouteTable()
  const route = routes.get('/api/patients/:id')
  rows.push([
    'histogram: observe on a cached series (route, method, status)',
    nsPerCall((i) => metrics.observe(route, 0, 200, i / 1e6)),
  ])

  // Tracing's part of the request path, unsampled (the common case at 10 %) and sampled.
  for (const [label, ratio] of [
    ['tracing: start + end, unsampled new trace (decision only; ids made on demand)', 0],
    ['tracing: start + end, sampled request (span built and ended, no export)', 1],
  ]) {
    const sampler = new HandoverSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }))
    const ids = new HandoverIdGenerator()
    const provider = new BasicTracerProvider({ sampler, idGenerator: ids })
    const propagator = new W3CTraceContextPropagator()
    const hooks = new ServerSpans(provider.getTracer('bench'), sampler, ids, propagator, ratio)
    const traced = { ...fakeReq, socket: { remoteAddress: '127.0.0.1' }, httpVersion: '1.1', headers: { host: 'x:1' } }
    // The pipeline reads the clock at start and end for its own use; tracing is handed those readings.
    const start = performance.now()
    rows.push([
      label,
      nsPerCall(() => {
        const requestContext = new RequestContext('id-1', traced, fakeRes, start)
        hooks.start(requestContext)
        hooks.end(requestContext, 200, route, 0, false, start + 1)
      }, 200_000),
    ])
  }

  rows.push([
    "tracing: OTLP http/protobuf export of one span, OpenTelemetry's exporter (batches of 512 to a local receiver; CPU of all threads)",
    await exportNsPerSpan((config) => new OTLPTraceExporter(config)),
  ])
  rows.push([
    "tracing: the same through Sightline's exporter (same transport and bytes, its own encoder)",
    await exportNsPerSpan(createProtobufSpanExporter),
  ])

  const { logger } = createLogger({ level: 'info', service: 'bench', pretty: false, redact: [], destination: sink })
  let line = ''
  const capture = { write: (text) => (line = text) }
  const access = new AccessLog({ logger, stream: capture, service: 'bench', logQuery: false, viaLogger: false })
  rows.push([
    'access log: build one line',
    nsPerCall(() => access.write(context, route, 0, 200, 1.234, false), 300_000),
  ])
  rows.push(['pino: logger.info(obj, msg) for comparison', nsPerCall(() => logger.info({ a: 1 }, 'hello'), 300_000)])
  rows.push(...(await writerBenchmarks(line)))

  // Prometheus counts every sample line as a series: a histogram child with 14 buckets is 17 series.
  const exposition = []
  for (const series of [1000, 10000]) {
    for (const kind of ['counter', 'histogram']) {
      const big = new Registry({ maxSeriesPerMetric: series })
      const children = kind === 'counter' ? series : Math.round(series / 17)
      const metric =
        kind === 'counter'
          ? big.counter({ name: 'bench_total', help: 'x', labelNames: ['route'] })
          : big.histogram({ name: 'bench_seconds', help: 'x', labelNames: ['route'], buckets: [...HTTP_BUCKETS] })
      for (let i = 0; i < children; i++) {
        const child = metric.labels(`/route/${i}`)
        if (kind === 'counter') child.inc(i)
        else child.observe(i / children)
      }
      await big.render(false)
      const times = []
      for (let i = 0; i < 7; i++) {
        const start = performance.now()
        await big.render(false)
        times.push(performance.now() - start)
      }
      times.sort((a, b) => a - b)
      exposition.push([`/metrics render, ${series} series as ${children} ${kind} children`, times[3], times[6]])
    }
  }
  if (line.length === 0) throw new Error('access line not written')
  return { rows, exposition }
}

export function microMarkdown({ rows, exposition }) {
  return [
    `## Micro-benchmarks (Node ${process.version})`,
    '',
    '| operation | ns per call |',
    '|---|---|',
    ...rows.map(([name, ns]) => `| ${name} | ${ns.toFixed(0)} |`),
    '',
    '| exposition (synchronous: the event loop is blocked this long) | median ms (7 runs) | max ms |',
    '|---|---|---|',
    ...exposition.map(([name, ms, max]) => `| ${name} | ${ms.toFixed(1)} | ${max.toFixed(1)} |`),
    '',
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(microMarkdown(await microBenchmarks()).join('\n'))
}
