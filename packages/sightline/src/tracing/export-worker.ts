/**
 * @module tracing/export-worker
 * The worker thread that sends span batches, already encoded by the main thread, to the OTLP
 * endpoint with OpenTelemetry's own HTTP transport (retries, `OTEL_EXPORTER_OTLP_*` headers,
 * compression, certificates and timeout unchanged: the worker reads the same environment).
 *
 * Why a thread: an HTTP client in the application's thread runs through the same Node internals
 * as its server (the HTTP parser's callbacks, streams, sockets) with objects of other shapes,
 * which turns their property accesses megamorphic for every request the server handles —
 * ~3,000 instructions per request on a Fastify route under callgrind, whatever the sampling
 * ratio. Here the export's HTTP request, its response and its retries run in an isolate of
 * their own, and on another core when there is one.
 */
import { parentPort, workerData } from 'node:worker_threads'
// From the package, not src/vendor (the application thread's bundle): the build bundles this
// script whole (scripts/bundle-vendor.mjs), with the @opentelemetry/core its OTLP transport needs anyway.
import { ExportResultCode } from '@opentelemetry/core'
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http'
import {
  type Batch,
  COMPONENT_TYPE,
  type ExportReply,
  type ExportRequest,
  type WorkerConfig,
} from './export-protocol.js'

const port = parentPort
if (port === null) throw new Error('tracing/export-worker runs as a worker thread')

const serializer = {
  serializeRequest: (batch: Batch) => batch.bytes,
  // The collector's answer is only read for a partial-success warning, which OpenTelemetry's
  // diagnostic logger would print; that logger is not set up in this isolate, so the answer is
  // not decoded, and otlp-transformer (its protobuf runtime: ~MBs of heap) is never loaded here.
  deserializeResponse: () => ({}),
}
/** OpenTelemetry's exporter metrics count items of the request: here, the spans the bytes hold. */
const spanCounter = { name: 'span' as const, countItems: (batch: Batch) => batch.spans }

const config = workerData as WorkerConfig
const options = convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' })
const delegate = createOtlpHttpExportDelegate(options, serializer, COMPONENT_TYPE, spanCounter, undefined)

port.on('message', (request: ExportRequest) => {
  delegate.export({ bytes: request.bytes, spans: request.spans }, (result) => {
    const reply: ExportReply =
      result.code === ExportResultCode.SUCCESS
        ? { id: request.id, ok: true }
        : { id: request.id, ok: false, error: result.error?.message ?? 'export failed' }
    port.postMessage(reply)
  })
})
