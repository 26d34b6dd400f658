/**
 * @module test/messaging/nats
 * `sightline/nats` on the real NATS server (@nats-io/transport-node v3): a message published from
 * a request and handled by a callback subscription is one trace, with baggage and `X-Request-ID`
 * in the NATS headers and the handler's log line correlated; request/reply; `for await`
 * subscriptions; metrics by subscription subject, inboxes folded, never a message id; a server
 * outage leaves the client's own behaviour.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { connect, headers, type NatsConnection } from '@nats-io/transport-node'
import { createSightline, type Sightline } from 'sightline'
import { instrumentNats } from 'sightline/nats'
import { currentBaggage, setupTracing, type Tracing } from 'sightline/tracing'
import { FaultProxy } from '../helpers/fault-proxy.js'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { NATS_URL, serveOnce, unique, until } from './brokers.js'

const PRODUCER = 4
const CONSUMER = 5

let receiver: OtlpReceiver
let logs: LogCapture
let producer: Sightline
let consumer: Sightline
const tracings: Tracing[] = []
let publisher: NatsConnection
let subscriber: NatsConnection

before(async () => {
  receiver = await new OtlpReceiver().start()
  logs = new LogCapture()
  producer = createSightline({ service: 'booking', logDestination: new LogCapture(), shutdown: { signals: false } })
  consumer = createSightline({ service: 'mailer', logDestination: logs, shutdown: { signals: false } })
  for (const sightline of [producer, consumer]) {
    tracings.push(
      await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` }),
    )
  }
  publisher = instrumentNats(await connect({ servers: NATS_URL }), { headers, sightline: producer })
  subscriber = instrumentNats(await connect({ servers: NATS_URL }), { headers, sightline: consumer })
})

after(async () => {
  await publisher.close()
  await subscriber.close()
  for (const tracing of tracings) await tracing.shutdown()
  await receiver.close()
})

test('published from a request, handled by a callback subscription: one trace, baggage and request id, log line correlated', async () => {
  const subject = unique('sightline.nats')
  const seen: Array<string | undefined> = []
  const sub = subscriber.subscribe(subject, {
    callback: (_error, message) => {
      seen.push(currentBaggage()?.getEntry('tenant')?.value)
      consumer.logger.info({ bytes: message.data.length }, 'notification handled')
    },
  })
  await subscriber.flush()
  await serveOnce(producer, { baggage: 'tenant=acme', 'x-request-id': 'nats-req-1' }, async (_req, res) => {
    publisher.publish(subject, 'hello')
    res.end('ok')
  })
  await until(() => seen.length === 1, 'the delivery')
  sub.unsubscribe()
  assert.deepEqual(seen, ['acme'])
  for (const tracing of tracings) await tracing.forceFlush()
  await until(() => receiver.spans.some((s) => s.name === `process ${subject}`), 'the consumer span')
  const server = receiver.spans.find((s) => s.kind === 2 && s.resource['service.name'] === 'booking')
  const send = receiver.spans.find((s) => s.kind === PRODUCER && s.name === `publish ${subject}`)
  const process = receiver.spans.find((s) => s.kind === CONSUMER && s.name === `process ${subject}`)
  assert.ok(server && send && process, receiver.spans.map((s) => `${s.kind} ${s.name}`).join(', '))
  assert.equal(send.parentSpanId, server.spanId)
  assert.equal(process.parentSpanId, send.spanId)
  assert.equal(process.traceId, server.traceId)
  assert.equal(send.attributes['messaging.system'], 'nats')
  assert.equal(send.attributes['messaging.destination.name'], subject)
  const line = logs.lines.find((l) => l.msg === 'notification handled')
  assert.ok(line, logs.raw.join('\n'))
  assert.equal(line.trace_id, server.traceId)
  assert.equal(line.span_id, process.spanId)
  assert.equal(line.request_id, 'nats-req-1')
})

test('request/reply: one request span around the reply, the responder in its trace; inboxes fold into (temporary)', async () => {
  const subject = unique('sightline.rpc')
  const sub = subscriber.subscribe(subject, {
    callback: (_error, message) => {
      consumer.logger.info('answering')
      message.respond('pong')
    },
  })
  await subscriber.flush()
  const reply = await publisher.request(subject, 'ping', { timeout: 2000 })
  assert.equal(reply.string(), 'pong')
  // The reply subject of a request made by hand is an inbox: folded on the metrics.
  const inbox = `_INBOX.${unique('manual')}`
  const inboxSub = subscriber.subscribe(inbox, { callback: () => {} })
  await subscriber.flush()
  publisher.publish(inbox, 'x')
  await publisher.flush()
  await until(() => inboxSub.getProcessed() === 1, 'the inbox delivery')
  sub.unsubscribe()
  inboxSub.unsubscribe()
  for (const tracing of tracings) await tracing.forceFlush()
  await until(() => receiver.spans.some((s) => s.name === `process ${subject}`), 'the responder span')
  const request = receiver.spans.find((s) => s.kind === PRODUCER && s.name === `request ${subject}`)
  const responder = receiver.spans.find((s) => s.name === `process ${subject}`)
  assert.ok(request && responder)
  assert.equal(responder.parentSpanId, request.spanId)
  assert.equal(
    receiver.spans.filter((s) => s.traceId === request.traceId && s.kind === PRODUCER).length,
    1,
    'the request publishes once, not a span of its own',
  )
  const sent = parseMetrics(await producer.metrics.render(false))
  const labels = (operation: string, destination: string) => ({
    messaging_system: 'nats',
    messaging_operation_name: operation,
    messaging_destination_name: destination,
    error_type: '',
  })
  assert.equal(sampleValue(sent, 'messaging_client_operation_duration_seconds_count', labels('request', subject)), 1)
  assert.equal(sampleValue(sent, 'messaging_client_sent_messages_total', labels('publish', '(temporary)')), 1)
  const consumed = parseMetrics(await consumer.metrics.render(false))
  assert.equal(sampleValue(consumed, 'messaging_client_consumed_messages_total', labels('process', '(temporary)')), 1)
  for (const text of [await producer.metrics.render(false), await consumer.metrics.render(false)]) {
    assert.equal(text.includes('_INBOX.'), false, 'an inbox as a label')
  }
})

test('a wildcard subscription is labelled by what it subscribed to; for-await messages continue the trace', async () => {
  const root = unique('sightline.orders')
  const sub = subscriber.subscribe(`${root}.*`)
  await subscriber.flush()
  const subjects: string[] = []
  const reading = (async () => {
    for await (const message of sub) {
      subjects.push(message.subject)
      if (subjects.length === 3) break
    }
  })()
  for (const tenant of ['a', 'b', 'c']) publisher.publish(`${root}.${tenant}`, 'order')
  await reading
  assert.deepEqual(subjects.sort(), [`${root}.a`, `${root}.b`, `${root}.c`])
  const consumed = parseMetrics(await consumer.metrics.render(false))
  assert.equal(
    sampleValue(consumed, 'messaging_client_consumed_messages_total', {
      messaging_system: 'nats',
      messaging_operation_name: 'process',
      messaging_destination_name: `${root}.*`,
      error_type: '',
    }),
    3,
  )
  for (const tracing of tracings) await tracing.forceFlush()
  await until(
    () => receiver.spans.filter((s) => s.kind === CONSUMER && s.name === `process ${root}.*`).length === 3,
    'three consumer spans',
  )
  for (const span of receiver.spans.filter((s) => s.kind === CONSUMER && s.name === `process ${root}.*`)) {
    const send = receiver.spans.find((s) => s.spanId === span.parentSpanId)
    assert.ok(send, 'each process span has its producer as parent')
    assert.equal(send.attributes['messaging.destination.name'], span.attributes['messaging.destination.name'])
  }
})

test('a server outage: publish and request fail as the client makes them fail, and are counted', async () => {
  const proxy = await new FaultProxy('127.0.0.1', Number(new URL(NATS_URL).port || 4222)).start()
  const nc = instrumentNats(await connect({ servers: `127.0.0.1:${proxy.port}`, reconnect: false }), {
    headers,
    sightline: producer,
  })
  const subject = unique('sightline.outage')
  const closed = nc.closed()
  proxy.set('reset')
  await closed
  assert.throws(() => nc.publish(subject, 'x'), /closed/i)
  await assert.rejects(nc.request(subject, 'x', { timeout: 500 }), /closed/i)
  await proxy.close()
  const samples = parseMetrics(await producer.metrics.render(false))
  const failed = samples.filter(
    (s) =>
      s.name === 'messaging_client_sent_messages_total' &&
      s.labels.messaging_destination_name === subject &&
      s.labels.error_type !== '',
  )
  assert.deepEqual(failed.map((s) => [s.labels.messaging_operation_name, s.value]).sort(), [
    ['publish', 1],
    ['request', 1],
  ])
})
