/**
 * @module metrics-otlp/export-worker
 * The worker thread that POSTs encoded metric exports to the OTLP endpoint, one at a time, with a
 * timeout and no retries (the next interval's export follows). The application's thread only
 * collects and encodes (the registry lives there) and posts the bytes here, so the export's HTTP
 * client never runs through the server's own HTTP internals (see tracing/export-worker).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { otlpPoster } from '../core/otlp/post.js'
import type { MetricsExportReply, MetricsExportRequest, MetricsWorkerConfig } from './export-protocol.js'

const port = parentPort
if (port === null) throw new Error('metrics-otlp/export-worker runs as a worker thread')

const post = otlpPoster(workerData as MetricsWorkerConfig, 'metric')

port.on('message', (request: MetricsExportRequest) => {
  const answer = (reply: MetricsExportReply) => port.postMessage(reply)
  post(request.bytes).then(
    () => answer({ id: request.id, ok: true }),
    (error: Error) => answer({ id: request.id, ok: false, error: error.message }),
  )
})
