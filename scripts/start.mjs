#!/usr/bin/env node
// `npm start`: doctor-api (PORT, default 8000) and the notifier (NOTIFIER_PORT, default 8001), so
// one POST /api/appointments is one trace across two services, shown by the viewer on :9400.
// With AMQP_URL set (`AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm start`), both services get it:
// doctor-api queues notifications on RabbitMQ and the notifier consumes them (docs/doctor-api.md).
//
// Signals. Ctrl-C in a terminal sends SIGINT to the whole foreground process group, and npm
// forwards what it receives as well: services in this group would see two SIGINTs and take their
// "second signal, exit now" path, dropping in-flight requests. So the services run in process
// groups of their own and get exactly one signal from here, whatever reaches this process and
// however many times; a second Ctrl-C (a new press, not the echo of the first) is forwarded too, as
// the operator insisting. The services also leave when this process goes (an IPC channel they
// watch closes with it, even on SIGKILL), and if one of them dies the other is stopped.
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

/** Signals that arrive within this long of the first are the same Ctrl-C (terminal and npm). */
const SAME_PRESS_MS = 1000

let stopping = false
let stoppedAt = 0
let insisted = false
let exitCode = 0
/** @type {import('node:child_process').ChildProcess[]} */
let children = []

const stop = (signal) => {
  const now = Date.now()
  if (stopping) {
    if (insisted || now - stoppedAt < SAME_PRESS_MS) return
    insisted = true
  } else {
    stopping = true
    stoppedAt = now
  }
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal)
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => stop(signal === 'SIGHUP' ? 'SIGTERM' : signal))
// npm's shell may die of the signal and leave this process to init: it then stops the services.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) stop('SIGTERM')
}, 500).unref()
// Whatever ends this process ends the services it started.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
})
process.on('uncaughtException', (error) => {
  console.error('npm start failed:', error)
  exitCode = 1
  stop('SIGTERM')
  if (children.every((child) => child.exitCode !== null || child.signalCode !== null)) process.exit(1)
})

// The local viewer (docs/viewer.md) receives both services' spans and log lines, unless they are
// told to export elsewhere. It runs in this process and stops with it.
if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  const { startViewer } = await import('@sightline/viewer')
  try {
    // SIGHTLINE_VIEWER_PORT, default 9400, on 127.0.0.1; doctor-api's objectives on /services.
    const viewer = await startViewer({ slo: process.env.SIGHTLINE_VIEWER_SLO || `${examples}doctor-api/slo.yaml` })
    env.OTEL_EXPORTER_OTLP_ENDPOINT = viewer.url
    // Spans show up within half a second rather than the SDK's default five.
    env.OTEL_BSP_SCHEDULE_DELAY = process.env.OTEL_BSP_SCHEDULE_DELAY ?? '500'
    console.log(`Sightline viewer: open ${viewer.url}/services (traces, logs, golden signals)`)
  } catch (error) {
    console.error(`Sightline viewer not started (${error.message}); set SIGHTLINE_VIEWER_PORT to use another port`)
  }
}

const service = (main) =>
  spawn(process.execPath, [`${examples}${main}`], {
    env,
    // Own process group: a terminal's Ctrl-C reaches this process only (see the top).
    detached: true,
    // The IPC channel is how a service notices this process is gone (examples/*/main.ts).
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  })
children = stopping ? [] : [service('notifier/dist/main.js'), service('doctor-api/dist/main.js')]
if (children.length === 0) process.exit(exitCode)

let running = children.length
for (const child of children) {
  child.on('exit', (code, signal) => {
    running--
    if (!stopping) {
      exitCode = code ?? 1
      console.error(`a service exited unexpectedly (${code ?? signal}); stopping the other`)
      stop('SIGTERM')
    } else if (code !== 0 && code !== null && exitCode === 0) {
      exitCode = code
    }
    if (running === 0) process.exit(exitCode)
  })
}
