/**
 * @module logging-otlp/log-export-worker
 * The worker thread that turns batches of log lines into OTLP/protobuf (logging-otlp/encode-protobuf)
 * and POSTs them to the logs endpoint: one request per batch, with a timeout, no retries (a failed
 * batch is counted and dropped by the tee, as before).
 *
 * Why a thread: encoding and an HTTP client in the application's thread cost every line its
 * encoding and every request the client's effect on Node's HTTP internals, which the server shares
 * (see tracing/export-worker). Here the application's thread only queues a line (an access line:
 * its values) and, per batch, posts them. Access records are written from their values
 * (logging-otlp/access-record), the application's lines scanned (logging-otlp/encode-protobuf).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ACCESS_LOG_MESSAGE } from '../core/constants.js'
import { otlpPoster } from '../core/otlp/post.js'
import type { ProtoWriter } from '../core/otlp/proto-writer.js'
import { AccessRecordWriter } from './access-record.js'
import { LogEncoder } from './encode-protobuf.js'
import type { LogExportReply, LogExportRequest, LogWorkerConfig } from './log-export-protocol.js'

const port = parentPort
if (port === null) throw new Error('logging-otlp/log-export-worker runs as a worker thread')

const config = workerData as LogWorkerConfig
const post = otlpPoster(config, 'log')
const encoder = new LogEncoder()
const accessWriter = new AccessRecordWriter(ACCESS_LOG_MESSAGE)

port.on('message', (batch: LogExportRequest) => {
  const access = batch.access
  const { bytes, records, skipped } = encoder.encode(
    batch.lines,
    config.service,
    batch.observedMillis,
    access === undefined ? undefined : (w: ProtoWriter) => accessWriter.writeBatch(w, access),
  )
  const answer = (reply: LogExportReply) => port.postMessage(reply)
  if (records === 0) {
    answer({ id: batch.id, ok: true, records, skipped })
    return
  }
  post(bytes).then(
    () => answer({ id: batch.id, ok: true, records, skipped }),
    (error: Error) => answer({ id: batch.id, ok: false, records, skipped, error: error.message }),
  )
})
