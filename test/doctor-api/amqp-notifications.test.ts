/**
 * @module test/doctor-api/amqp-notifications
 * doctor-api and the notifier as two real processes with AMQP_URL set: a booking's notification
 * goes through the real RabbitMQ, and the booking is still one trace (doctor-api's server span →
 * process_appointment → send_notification → `publish <queue>` PRODUCER → the notifier's
 * `process <queue>` CONSUMER → deliver_email), with the baggage carried, and the notifier's
 * `notification sent` line carrying the booking's trace id and request id. A unique queue per
 * run, deleted after. A broker that refuses the notification fails it, never the booking.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import amqplib from 'amqplib'
import { FaultProxy } from '../helpers/fault-proxy.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { exportingTo, type JsonLine, startExample, stopExamples } from '../helpers/process.js'
import { AMQP_URL, unique, until } from '../messaging/brokers.js'
import { bookAppointment } from './booking.js'

const QUEUE = unique('sightline-notifications')

let receiver: OtlpReceiver
let notifier: ReturnType<typeof startExample>
let doctor: ReturnType<typeof startExample>

before(async () => {
  receiver = await new OtlpReceiver().start()
  const env = { ...exportingTo(receiver.url), AMQP_URL, AMQP_QUEUE: QUEUE }
  notifier = startExample('notifier/dist/main.js', { ...env, NOTIFIER_PORT: '0' })
  await notifier.port
  // No notifier URL at all: a notification can only reach the notifier through the broker.
  doctor = startExample('doctor-api/dist/main.js', { ...env, PORT: '0', NOTIFIER_URL: '' })
  await doctor.port
})

after(async () => {
  await stopExamples(doctor, notifier)
  const connection = await amqplib.connect(AMQP_URL)
  const channel = await connection.createChannel()
  await channel.deleteQueue(QUEUE)
  await connection.close()
  await receiver.close()
})

test('one booking is one trace doctor-api → RabbitMQ → notifier, and the notifier logs it in that trace', async () => {
  const base = `http://127.0.0.1:${await doctor.port}`
  const response = await bookAppointment(base, { 'x-request-id': 'amqp-booking-1', baggage: 'tenant=acme' })
  assert.equal(response.status, 201)

  const names = ['POST /api/appointments', 'send_notification', `publish ${QUEUE}`, `process ${QUEUE}`, 'deliver_email']
  await until(() => names.every((name) => receiver.byName(name).length > 0), `spans ${names.join(', ')}`, 20000)
  const server = receiver.byName('POST /api/appointments')[0]!
  const inTrace = receiver.spans.filter((s) => s.traceId === server.traceId)
  const one = (name: string, service: string) => {
    const span = inTrace.find((s) => s.name === name && s.resource['service.name'] === service)
    assert.ok(span, `${service}:${name} in the trace (${inTrace.map((s) => s.name).join(', ')})`)
    return span
  }
  const notify = one('send_notification', 'doctor-api')
  const publish = one(`publish ${QUEUE}`, 'doctor-api')
  const consume = one(`process ${QUEUE}`, 'notifier')
  const email = one('deliver_email', 'notifier')
  assert.equal(publish.kind, 4, 'PRODUCER')
  assert.equal(consume.kind, 5, 'CONSUMER')
  assert.equal(publish.parentSpanId, notify.spanId)
  assert.equal(consume.parentSpanId, publish.spanId)
  assert.equal(email.parentSpanId, consume.spanId)
  assert.equal(email.attributes['app.tenant'], 'acme', 'the baggage crossed the broker')
  assert.equal(publish.attributes['messaging.system'], 'rabbitmq')
  assert.deepEqual(
    consume.events?.map((e) => e.name),
    ['ack'],
  )
  assert.equal(inTrace.filter((s) => s.name === 'POST /notify').length, 0, 'no HTTP call to the notifier')

  await until(() => notifier.lines.some((l) => l.msg === 'notification sent'), 'the notifier line')
  const sent = notifier.lines.find((l) => l.msg === 'notification sent') as JsonLine
  assert.equal(sent.trace_id, server.traceId)
  assert.equal(sent.request_id, 'amqp-booking-1')
  assert.equal(sent.via, 'amqp')
  // Written once deliver_email ended: in the message's own span.
  assert.equal(sent.span_id, consume.spanId)

  const metrics = await (await fetch(`${base}/metrics`)).text()
  assert.match(
    metrics,
    new RegExp(
      `messaging_client_sent_messages_total\\{messaging_system="rabbitmq",messaging_operation_name="publish",messaging_destination_name="${QUEUE}",error_type=""\\} 1`,
    ),
  )
})

test('a broker that is gone fails the notification (logged, span failed, broker check failing), never the booking', async () => {
  const broker = new URL(AMQP_URL)
  const proxy = await new FaultProxy(broker.hostname, Number(broker.port || 5672)).start()
  broker.host = `127.0.0.1:${proxy.port}`
  const cut = startExample('doctor-api/dist/main.js', {
    ...exportingTo(receiver.url),
    AMQP_URL: broker.toString(),
    AMQP_QUEUE: QUEUE,
    PORT: '0',
    NOTIFIER_URL: '',
  })
  try {
    const base = `http://127.0.0.1:${await cut.port}`
    proxy.set('reset')
    // The reset closes doctor-api's connection; it does not reconnect.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const response = await bookAppointment(
      base,
      { 'x-request-id': 'amqp-down-1' },
      { name: 'Bo', email: 'bo@example.com', date_of_birth: '1991-01-01' },
    )
    assert.equal(response.status, 201)
    await until(
      () => cut.lines.some((l) => l.request_id === 'amqp-down-1' && l.msg === 'notification failed'),
      'the failure line',
    )
    const ready = await fetch(`${base}/readyz`)
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> }
    assert.equal(ready.status, 200, 'the broker check is not critical')
    assert.equal(body.status, 'degraded', JSON.stringify(body))
    assert.equal(body.checks.broker?.status, 'fail', JSON.stringify(body))
    // The notification's span failed with amqplib's own error type, under the booking's trace.
    await until(
      () => receiver.spans.some((s) => s.name === 'send_notification' && s.status?.code === 2),
      'the failed span',
      10000,
    )
  } finally {
    cut.child.kill('SIGTERM')
    await once(cut.child, 'exit')
    await proxy.close()
  }
})
