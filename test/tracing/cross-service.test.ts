/**
 * The brief's distributed trace with two real processes: doctor-api and the notifier, both from
 * dist/, exporting over OTLP/HTTP to an in-test receiver. One POST /api/appointments is one trace.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { bookAppointment } from '../doctor-api/booking.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { exportingTo, type JsonLine, startExample, stopExamples } from '../helpers/process.js'

let receiver: OtlpReceiver
let notifier: ReturnType<typeof startExample>
let doctor: ReturnType<typeof startExample>

before(async () => {
  receiver = await new OtlpReceiver().start()
  const otel = exportingTo(receiver.url)
  notifier = startExample('notifier/dist/main.js', { ...otel, NOTIFIER_PORT: '0' })
  const notifierPort = await notifier.port
  doctor = startExample('doctor-api/dist/main.js', {
    ...otel,
    PORT: '0',
    NOTIFIER_URL: `http://127.0.0.1:${notifierPort}`,
  })
  await doctor.port
})

after(async () => {
  await stopExamples(doctor, notifier)
  await receiver.close()
})

test('one POST /api/appointments is one trace across doctor-api and the notifier', async () => {
  const base = `http://127.0.0.1:${await doctor.port}`
  // W3C baggage from the edge: doctor-api forwards it, the notifier reads it (examples/notifier).
  const response = await bookAppointment(base, { 'x-request-id': 'cross-1', baggage: 'tenant=acme, region=eu%2Dwest' })
  assert.equal(response.status, 201)

  // Generous: on a saturated machine each service's exports fall seconds behind. Every span the
  // test reads is waited for: the two services export on their own schedules, so the notifier's
  // last span can arrive before doctor-api's server span.
  const expected = [
    'POST /api/appointments',
    'process_appointment',
    'send_notification',
    'sync_calendar',
    'POST',
    'POST /notify',
    'deliver_email',
  ]
  const deadline = Date.now() + 20000
  while (Date.now() < deadline && expected.some((name) => receiver.byName(name).length === 0))
    await new Promise((r) => setTimeout(r, 100))
  const server = receiver.byName('POST /api/appointments')[0]
  if (server === undefined) {
    const counters = (await (await fetch(`${base}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('sightline_spans'))
    assert.fail(
      `spans: ${receiver.spans.map((s) => `${s.resource['service.name']}:${s.name}`).join(', ')}; ${counters.join('; ')}; requests ${receiver.requests}`,
    )
  }
  const traceId = server.traceId
  const inTrace = receiver.spans.filter((s) => s.traceId === traceId)
  const one = (name: string, service: string) => {
    const span = inTrace.find((s) => s.name === name && s.resource['service.name'] === service)
    assert.ok(span, `${service}:${name} in the trace`)
    return span
  }
  const processing = one('process_appointment', 'doctor-api')
  const notify = one('send_notification', 'doctor-api')
  const calendar = one('sync_calendar', 'doctor-api')
  const client = one('POST', 'doctor-api')
  const remote = one('POST /notify', 'notifier')
  const email = one('deliver_email', 'notifier')
  assert.equal(processing.parentSpanId, server.spanId)
  assert.equal(notify.parentSpanId, processing.spanId)
  assert.equal(calendar.parentSpanId, processing.spanId)
  assert.equal(client.parentSpanId, notify.spanId)
  assert.equal(remote.parentSpanId, client.spanId)
  assert.equal(email.parentSpanId, remote.spanId)
  assert.equal(processing.attributes['appointment.id'], 1)
  assert.equal(email.attributes['app.tenant'], 'acme', 'the baggage crossed doctor-api to the notifier')

  // Both services' log lines for this request carry the same trace_id and request_id.
  const forRequest = (lines: JsonLine[]) => lines.filter((l) => l.request_id === 'cross-1')
  await new Promise((resolve) => setTimeout(resolve, 300))
  const doctorLines = forRequest(doctor.lines)
  const notifierLines = forRequest(notifier.lines)
  assert.ok(doctorLines.some((l) => l.msg === 'appointment created'))
  assert.ok(notifierLines.some((l) => l.msg === 'notification sent'))
  for (const line of [...doctorLines, ...notifierLines]) assert.equal(line.trace_id, traceId, JSON.stringify(line))
})

test('a notifier that is down fails the notification span, not the booking', async () => {
  notifier.child.kill('SIGTERM')
  await once(notifier.child, 'exit')
  const base = `http://127.0.0.1:${await doctor.port}`
  const response = await fetch(`${base}/api/appointments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'cross-2' },
    body: JSON.stringify({ patient_id: 1, doctor: 'Dr. Who', starts_at: '2026-12-02T09:30:00Z' }),
  })
  assert.equal(response.status, 201)
  const deadline = Date.now() + 5000
  while (
    Date.now() < deadline &&
    !doctor.lines.some((l) => l.request_id === 'cross-2' && l.msg === 'notification failed')
  ) {
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(doctor.lines.some((l) => l.request_id === 'cross-2' && l.msg === 'notification failed'))
  while (Date.now() < deadline && !receiver.spans.some((s) => s.name === 'send_notification' && s.status?.code === 2)) {
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(receiver.spans.some((s) => s.name === 'send_notification' && s.status?.code === 2))
})
