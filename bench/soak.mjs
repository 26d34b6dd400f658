#!/usr/bin/env node
// @module bench/soak
// A soak: doctor-api as `npm start` runs it (PGlite, in-memory cache, spans and log lines exported
// over OTLP to a viewer) under steady wrk load for SOAK_SECONDS, sampled every SOAK_INTERVAL
// seconds from its own /metrics: RSS, V8 heap, event-loop delay p99, throughput, and what the
// exporters dropped. It ends with the floors of RSS and heap (their lowest samples, between
// collections) in the second quarter of the run and in the last: heap in use saw-tooths with the
// collector, so a slope through every sample says more about when a collection landed than about
// a leak; a leak raises the floor.
//
// Usage: npm run build && node bench/soak.mjs
// Env: SOAK_SECONDS (600), SOAK_INTERVAL (10), SOAK_CONNECTIONS (16), SOAK_RATIO (sampling, 0.1),
//      SOAK_OUT (also write the table as markdown to this file).
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Viewer } from '@sightline/viewer'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600)
const INTERVAL = Number(process.env.SOAK_INTERVAL ?? 10)
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 16)
const RATIO = process.env.SOAK_RATIO ?? '0.1'
const MAIN = fileURLToPath(new URL('../examples/doctor-api/dist/main.js', import.meta.url))

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** name{labels} → value, summed over label sets when `labels` is omitted. */
function read(text, name, match = () => true) {
  let total
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (m === null || m[1] !== name || !match(m[2] ?? '')) continue
    total = (total ?? 0) + Number(m[3])
  }
  return total ?? 0
}

const viewer = new Viewer({ port: 0 })
const collector = await viewer.listen()
const port = await freePort()
const api = spawn(process.execPath, [MAIN], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    NOTIFIER_URL: '',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector,
    OTEL_TRACES_SAMPLER_ARG: RATIO,
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
// Taken at spawn: a process that already exited emits 'exit' no more.
const apiExited = new Promise((resolve) => api.once('exit', resolve))
const base = `http://127.0.0.1:${port}`
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/readyz`)).status === 200) break
  } catch {}
  if (i > 200) throw new Error('doctor-api did not become ready')
  await new Promise((resolve) => setTimeout(resolve, 100))
}
const created = await fetch(`${base}/api/patients`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'Soak', email: 'soak@example.com', date_of_birth: '1990-01-01' }),
})
const { id } = await created.json()

const wrk = spawn('wrk', ['-t', '1', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, `${base}/api/patients/${id}`], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const wrkExited = new Promise((resolve) => wrk.once('exit', resolve))
let wrkOutput = ''
wrk.stdout.on('data', (chunk) => {
  wrkOutput += chunk
})

const rows = []
const started = Date.now()
let lastCount = 0
let lastAt = started
console.log('   t s     req/s   RSS MB  heap MB  loop p99 ms  spans dropped  log records dropped')
while (Date.now() - started < SECONDS * 1000) {
  await new Promise((resolve) => setTimeout(resolve, INTERVAL * 1000))
  const text = await (await fetch(`${base}/metrics`)).text()
  const now = Date.now()
  const count = read(text, 'http_server_request_duration_seconds_count')
  const row = {
    t: Math.round((now - started) / 1000),
    rps: Math.round((count - lastCount) / ((now - lastAt) / 1000)),
    rssMb: read(text, 'process_resident_memory_bytes') / 2 ** 20,
    heapMb: read(text, 'v8js_memory_heap_used_bytes') / 2 ** 20,
    loopP99Ms: read(text, 'nodejs_eventloop_delay_p99_seconds') * 1000,
    spansDropped: read(text, 'sightline_spans_dropped_total'),
    recordsDropped: read(text, 'sightline_log_records_dropped_total'),
  }
  lastCount = count
  lastAt = now
  rows.push(row)
  console.log(
    `${String(row.t).padStart(6)}  ${String(row.rps).padStart(8)}  ${row.rssMb.toFixed(1).padStart(7)}  ${row.heapMb
      .toFixed(1)
      .padStart(7)}  ${row.loopP99Ms.toFixed(1).padStart(11)}  ${String(row.spansDropped).padStart(13)}  ${String(
      row.recordsDropped,
    ).padStart(19)}`,
  )
}
await wrkExited
api.kill('SIGTERM')
await apiExited
await viewer.close()

/** The lowest `key` in the rows from `from` to `to` (fractions of the run): the level between collections. */
function floor(key, from, to) {
  const part = rows.slice(Math.floor(rows.length * from), Math.max(Math.ceil(rows.length * to), 1))
  return Math.min(...part.map((r) => r[key]))
}
const requests = /(\d+) requests in/.exec(wrkOutput)?.[1]
const errors = /Non-2xx or 3xx responses: (\d+)/.exec(wrkOutput)?.[1] ?? '0'
const socketErrors = /Socket errors: (.*)/.exec(wrkOutput)?.[1] ?? 'none'
const summary = [
  `${requests} requests in ${SECONDS} s (${CONNECTIONS} connections, sampling ${RATIO}); non-2xx: ${errors}; socket errors: ${socketErrors}`,
  `floors, second quarter → last quarter: RSS ${floor('rssMb', 0.25, 0.5).toFixed(1)} → ${floor('rssMb', 0.75, 1).toFixed(1)} MB, ` +
    `heap ${floor('heapMb', 0.25, 0.5).toFixed(1)} → ${floor('heapMb', 0.75, 1).toFixed(1)} MB; ` +
    `peak RSS ${Math.max(...rows.map((r) => r.rssMb)).toFixed(1)} MB, peak loop p99 ${Math.max(...rows.map((r) => r.loopP99Ms)).toFixed(1)} ms`,
]
console.log(summary.join('\n'))
if (process.env.SOAK_OUT) {
  const table = [
    '| t (s) | req/s | RSS MB | heap MB | loop p99 ms | spans dropped | log records dropped |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.t} | ${r.rps} | ${r.rssMb.toFixed(1)} | ${r.heapMb.toFixed(1)} | ${r.loopP99Ms.toFixed(1)} | ${r.spansDropped} | ${r.recordsDropped} |`,
    ),
  ]
  writeFileSync(process.env.SOAK_OUT, `${table.join('\n')}\n\n${summary.join('\n\n')}\n`)
}
