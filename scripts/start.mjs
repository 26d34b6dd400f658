#!/usr/bin/env node
// `npm start`: doctor-api (PORT, default 8000) and the notifier (NOTIFIER_PORT, default 8001), so
// one POST /api/appointments is one trace across two services, shown by the viewer on :9400.
// Signals are forwarded; if one service dies, the other is stopped and the exit code says so.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const examples = fileURLToPath(new URL('../examples/', import.meta.url))
const notifierPort = process.env.NOTIFIER_PORT ?? '8001'
const env = {
  ...process.env,
  NOTIFIER_PORT: notifierPort,
  NOTIFIER_URL: process.env.NOTIFIER_URL ?? `http://127.0.0.1:${notifierPort}`,
  // A local demo samples every request; production sets its own ratio (docs/tracing.md).
  OTEL_TRACES_SAMPLER_ARG: process.env.OTEL_TRACES_SAMPLER_ARG ?? '1',
}

// The local viewer (docs/viewer.md) receives both services' spans and log lines, unless they are
// told to export elsewhere. It runs in this process and stops with it.
if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  const { startViewer } = await import('@sightline/viewer')
  try {
    const viewer = await startViewer() // SIGHTLINE_VIEWER_PORT, default 9400, on 127.0.0.1
    env.OTEL_EXPORTER_OTLP_ENDPOINT = viewer.url
    // Spans show up within half a second rather than the SDK's default five.
    env.OTEL_BSP_SCHEDULE_DELAY = process.env.OTEL_BSP_SCHEDULE_DELAY ?? '500'
    console.log(`Sightline viewer: open ${viewer.url}/services (traces, logs, golden signals)`)
  } catch (error) {
    console.error(`Sightline viewer not started (${error.message}); set SIGHTLINE_VIEWER_PORT to use another port`)
  }
}

const children = [
  spawn(process.execPath, [`${examples}notifier/dist/main.js`], { env, stdio: 'inherit' }),
  spawn(process.execPath, [`${examples}doctor-api/dist/main.js`], { env, stdio: 'inherit' }),
]

let stopping = false
let exitCode = 0
const stop = (signal) => {
  if (stopping) return
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill(signal)
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(signal))

let running = children.length
for (const child of children) {
  child.on('exit', (code, signal) => {
    running--
    if (!stopping) {
      exitCode = code ?? 1
      console.error(`a service exited unexpectedly (${code ?? signal}); stopping the other`)
      stop('SIGTERM')
    }
    if (running === 0) process.exit(exitCode)
  })
}
