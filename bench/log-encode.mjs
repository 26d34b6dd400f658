#!/usr/bin/env node
// @module bench/log-encode
// The per-line cost of turning Sightline's log lines into OTLP records, for the alternatives the
// log exporter was chosen from (ns per line, batches of 512, tight loops: a guide, not a verdict):
// JSON.parse alone (the floor of any design that parses the line), JSON.parse into OTLP/JSON objects
// and JSON.stringify (the exporter before issue 27), and the field scanner writing OTLP/protobuf
// (logging-otlp/encode-protobuf, what the export worker runs), and the access line's record written
// from the values the access log captured (logging-otlp/access-record). Also what the application's thread
// pays per line with export on: the tee's queue (OtlpLogTee.write, the destination a no-op).
// Usage: node bench/log-encode.mjs [old encode.js]   (the old encoder, from a worktree of an older commit)
import { ProtoWriter } from '../packages/sightline/dist/src/core/otlp/proto-writer.js'
import { RouteTable } from '../packages/sightline/dist/src/core/pipeline/routes.js'
import { AccessCapture } from '../packages/sightline/dist/src/logging-otlp/access-capture.js'
import { AccessRecordWriter } from '../packages/sightline/dist/src/logging-otlp/access-record.js'
import { LogEncoder } from '../packages/sightline/dist/src/logging-otlp/encode-protobuf.js'
import { OtlpLogTee } from '../packages/sightline/dist/src/logging-otlp/otlp-log-tee.js'

const ACCESS =
  '{"level":"info","time":1767225600123,"service":"bench","request_id":"4bf92f3577b34da6a3ce929d0e0e4736","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","method":"GET","route":"/users/:id","path":"/users/42","status":200,"duration_ms":0.412,"bytes":38,"msg":"request completed"}\n'
const APP =
  '{"level":"info","time":1767225600124,"service":"bench","request_id":"4bf92f3577b34da6a3ce929d0e0e4736","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","patient":42,"cache":"miss","msg":"looked up patient"}\n'
const BATCH = 512
const lines = Array.from({ length: BATCH }, (_, i) => (i % 2 === 0 ? ACCESS : APP))

function nsPerLine(run, batches = 4000) {
  for (let i = 0; i < batches / 4; i++) run()
  const start = process.hrtime.bigint()
  for (let i = 0; i < batches; i++) run()
  return Number(process.hrtime.bigint() - start) / (batches * BATCH)
}

const rows = []
rows.push(['JSON.parse alone', nsPerLine(() => lines.map((line) => JSON.parse(line)))])
const oldEncoder = process.argv[2]
if (oldEncoder !== undefined) {
  const { encodeLogLines } = await import(oldEncoder)
  const trimmed = lines.map((line) => line.slice(0, -1))
  rows.push([
    'JSON.parse → OTLP/JSON → JSON.stringify (before)',
    nsPerLine(() => JSON.stringify(encodeLogLines(trimmed, 'bench').body)),
  ])
}
const encoder = new LogEncoder()
rows.push(['field scanner → OTLP/protobuf (now, in the worker)', nsPerLine(() => encoder.encode(lines, 'bench', 1))])
// The access line's record, written by the worker from the values the access log captured (one
// request in ten traced, as at 10% sampling); eight batches, so the writer does not see one text only.
const route = new RouteTable().get('/users/:id')
const accessBatches = Array.from({ length: 8 }, (_, b) => {
  const capture = new AccessCapture()
  for (let i = 0; i < BATCH; i++) {
    const traced = i % 10 === 0
    const id = crypto.randomUUID()
    capture.add(
      30,
      1767225600123 + b * 32 + (i >> 4),
      id,
      traced ? id.replaceAll('-', '') : undefined,
      traced ? '00f067aa0ba902b7' : undefined,
      traced ? '01' : undefined,
      route,
      0,
      'GET',
      `/users/${i}`,
      200,
      0.412 + i / 1000,
      undefined,
      38,
      false,
      undefined,
    )
  }
  return capture.take()
})
const accessWriter = new AccessRecordWriter('request completed')
const records = new ProtoWriter()
let nextBatch = 0
rows.push([
  'access record from captured values → OTLP/protobuf (the worker)',
  nsPerLine(() => {
    records.pos = 0
    accessWriter.writeBatch(records, accessBatches[nextBatch++ & 7])
  }),
])
const tee = new OtlpLogTee(
  { write: () => undefined },
  {
    endpoint: 'http://127.0.0.1:9/v1/logs',
    service: 'bench',
    maxQueue: Number.MAX_SAFE_INTEGER,
    maxQueueChars: Number.MAX_SAFE_INTEGER,
    maxBatch: Number.MAX_SAFE_INTEGER,
    flushMs: 3_600_000,
  },
)
rows.push([
  "tee's queue, per line (application thread)",
  nsPerLine(() => {
    for (const line of lines) tee.write(line)
    tee.queue = []
    tee.queueChars = 0
  }),
])
await tee.shutdown()
console.log('| per log line | ns |\n|---|---|')
for (const [name, ns] of rows) console.log(`| ${name} | ${ns.toFixed(0)} |`)
