/**
 * `npm start` under the signals an operator sends: Ctrl-C in a terminal (SIGINT to the whole
 * foreground process group, which npm forwards again) drains both services — the requests in
 * flight complete, no service takes its "second signal" path — and `kill -TERM` of npm, or the
 * launcher killed outright, leaves no service running. The real command, in a process group of
 * its own as a terminal would run it.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const IN_FLIGHT = 6
const PAYMENT_LATENCY_MS = 1500

type Line = Record<string, unknown>

/** Every process below `pid`, as `ps` sees them now. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((row) => row.trim().split(/\s+/).map(Number) as [number, number])
  const found: number[] = []
  const walk = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child)
        walk(child)
      }
    }
  }
  walk(pid)
  return found
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Started {
  npm: ChildProcess
  lines: Line[]
  apiUrl: string
  /** npm's shell, scripts/start.mjs and both services. */
  tree: number[]
  exited: Promise<[number | null, NodeJS.Signals | null]>
}

async function npmStart(): Promise<Started> {
  const [port, notifierPort, viewerPort] = [await freePort(), await freePort(), await freePort()]
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    // A process group of its own, as a terminal's foreground job.
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      NOTIFIER_PORT: String(notifierPort),
      SIGHTLINE_VIEWER_PORT: String(viewerPort),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      DEMO_LATENCY_MS: String(PAYMENT_LATENCY_MS),
      SIGHTLINE_SHUTDOWN_DELAY_MS: '200',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    },
  })
  const exited = once(npm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const lines: Line[] = []
  let buffer = ''
  npm.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const text = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      // The launcher's own lines (the viewer's address) are plain text.
      if (text.startsWith('{')) lines.push(JSON.parse(text) as Line)
    }
  })
  const listening = (service: string) => lines.some((l) => l.service === service && String(l.msg).includes('listening'))
  await until('both services to listen', () => listening('doctor-api') && listening('notifier'), 90_000)
  const pid = npm.pid as number
  return { npm, lines, apiUrl: `http://127.0.0.1:${port}`, tree: descendants(pid), exited }
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** An appointment to pay for: a patient, and an appointment booked through the notifier. */
async function appointment(apiUrl: string): Promise<number> {
  const patient = await post(`${apiUrl}/api/patients`, {
    name: 'Ada',
    email: `ada${Date.now()}@example.com`,
    date_of_birth: '1815-12-10',
  })
  assert.equal(patient.status, 201, JSON.stringify(patient.body))
  const booked = await post(`${apiUrl}/api/appointments`, {
    patient_id: patient.body.id,
    doctor: 'Dr. Watson',
    starts_at: '2026-12-01T09:30:00Z',
  })
  assert.equal(booked.status, 201, JSON.stringify(booked.body))
  return booked.body.id as number
}

function assertNoneLeft(started: Started): void {
  const left = started.tree.filter(alive)
  assert.deepEqual(left, [], `still running: ${left.join(', ')}`)
}

describe('npm start and signals', { timeout: 240_000 }, () => {
  test('Ctrl-C drains both services: the requests in flight complete', async () => {
    const started = await npmStart()
    try {
      const id = await appointment(started.apiUrl)
      const payments = Array.from({ length: IN_FLIGHT }, () =>
        post(`${started.apiUrl}/api/payments`, { appointment_id: id, amount_cents: 1000 }).catch((error) => ({
          status: 0,
          body: { error: String(error.cause ?? error) },
        })),
      )
      await new Promise((resolve) => setTimeout(resolve, PAYMENT_LATENCY_MS / 3))
      // The terminal's Ctrl-C: SIGINT to every process of the foreground group.
      process.kill(-(started.npm.pid as number), 'SIGINT')
      const replies = await Promise.all(payments)
      assert.deepEqual(
        replies.map((r) => r.status),
        Array(IN_FLIGHT).fill(201),
        JSON.stringify(replies.map((r) => r.body)),
      )
      // npm itself ends as a process sent Ctrl-C does (by SIGINT), or with the launcher's 0.
      const [code, signal] = await started.exited
      assert.ok(code === 0 || signal === 'SIGINT', `npm exited with ${code ?? signal}`)
      await until('every process to exit', () => !started.tree.some(alive), 10_000)
      const messages = started.lines.map((l) => `${l.service}: ${l.msg}`)
      assert.ok(!messages.some((m) => m.includes('second signal')), messages.join('\n'))
      for (const service of ['doctor-api', 'notifier']) {
        assert.ok(messages.includes(`${service}: shutdown complete`), messages.join('\n'))
        assert.equal(started.lines.find((l) => l.service === service && l.msg === 'shutdown started')?.reason, 'SIGINT')
      }
    } finally {
      for (const pid of [started.npm.pid as number, ...started.tree]) if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
  })

  test('kill -TERM of npm leaves no service running', async () => {
    const started = await npmStart()
    try {
      process.kill(started.npm.pid as number, 'SIGTERM')
      await started.exited
      await until('every process to exit', () => !started.tree.some(alive), 15_000)
      assertNoneLeft(started)
    } finally {
      for (const pid of started.tree) if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
  })

  test('the launcher killed outright: the services drain and exit on their own', async () => {
    const started = await npmStart()
    try {
      // Not npm's shell, whose command line names the script too.
      const launcher = started.tree.find((pid) =>
        /^\S*node scripts\/start\.mjs/.test(
          execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }),
        ),
      )
      assert.ok(launcher !== undefined, 'scripts/start.mjs runs under npm')
      process.kill(launcher, 'SIGKILL')
      await until('every process to exit', () => !started.tree.some(alive), 15_000)
      assertNoneLeft(started)
      const reasons = started.lines.filter((l) => l.msg === 'shutdown started').map((l) => l.reason)
      assert.deepEqual(reasons.sort(), ['launcher exited', 'launcher exited'])
    } finally {
      for (const pid of [started.npm.pid as number, ...started.tree]) if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
  })
})
