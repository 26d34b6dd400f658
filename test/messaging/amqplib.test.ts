/**
 * @module test/messaging/amqplib
 * `sightline/amqplib` on the real RabbitMQ: a message published from a request and consumed by
 * another service is one trace (PRODUCER child of the server span, CONSUMER child of the
 * PRODUCER), with baggage and `X-Request-ID` carried, the consumer's log line carrying the
 * producer's trace id and request id; metrics by destination, never by message id, server-named
 * queues folded; a failing handler; confirm channels; a broker outage.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib'
import { createSightline, type Sightline } from 'sightline'
import { instrumentAmqplib } from 'sightline/amqplib'
import { currentBaggage, setupTracing, type Tracing } from 'sightline/tracing'
import { FaultProxy } from '../helpers/fault-proxy.js'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { AMQP_URL, serveOnce, unique, until } from './brokers.js'

const PRODUCER = 4
const CONSUMER = 5

let receiver: OtlpReceiver
let producerLogs: LogCapture
let consumerLogs: LogCapture
let producer: Sightline
let consumer: Sightline
const tracings: Tracing[] = []
let connection: ChannelModel
let consumerConnection: ChannelModel
let publishChannel: Channel
let consumeChannel: Channel
const queues: string[] = []

before(async () => {
  receiver = await new OtlpReceiver().start()
  producerLogs = new LogCapture()
  consumerLogs = new LogCapture()
  producer = createSightline({ service: 'booking', logDestination: producerLogs, shutdown: { signals: false } })
  consumer = createSightline({ service: 'mailer', logDestination: consumerLogs, shutdown: { signals: false } })
  for (const sightline of [producer, consumer]) {
    tracings.push(
      await setupTracing(sightline, { ratio: 1, protocol: 'http/json', endpoint: `${receiver.url}/v1/traces` }),
    )
  }
  connection = instrumentAmqplib(await amqplib.connect(AMQP_URL), { sightline: producer })
  publishChannel = await connection.createChannel()
  consumerConnection = await amqplib.connect(AMQP_URL)
  consumeChannel = instrumentAmqplib(await consumerConnection.createChannel(), { sightline: consumer })
})

after(async () => {
  for (const queue of queues) await publishChannel.deleteQueue(queue)
  await connection.close()
  await consumerConnection.close()
  for (const tracing of tracings) await tracing.shutdown()
  await receiver.close()
})

async function queue(): Promise<string> {
  const name = unique('sightline-amqp')
  await publishChannel.assertQueue(name, { autoDelete: false })
  queues.push(name)
  return name
}

/** Consumes `name` on the consumer's channel with `handler`; resolves with the consumer tag. */
async function consume(name: string, handler: (message: ConsumeMessage) => unknown): Promise<string> {
  const { consumerTag } = await consumeChannel.consume(name, (message) => {
    if (message !== null) return handler(message)
  })
  return consumerTag
}

test('published from a request and consumed elsewhere: one trace, baggage and request id carried, log line correlated', async () => {
  const name = await queue()
  const seen: Array<{ tenant: string | undefined; body: string }> = []
  const tag = await consume(name, (message) => {
    seen.push({ tenant: currentBaggage()?.getEntry('tenant')?.value, body: message.content.toString() })
    consumer.logger.info({ appointment: 7 }, 'notification handled')
    consumeChannel.ack(message)
  })
  const requestId = await serveOnce(
    producer,
    { baggage: 'tenant=acme', 'x-request-id': 'book-123' },
    async (_req, res) => {
      publishChannel.sendToQueue(name, Buffer.from('{"appointment":7}'), { messageId: 'msg-unique-1' })
      res.end('ok')
    },
  )
  assert.equal(requestId, 'book-123')
  await until(() => seen.length === 1, 'the delivery')
  await consumeChannel.cancel(tag)
  assert.deepEqual(seen, [{ tenant: 'acme', body: '{"appointment":7}' }])
  for (const tracing of tracings) await tracing.forceFlush()
  await until(
    () => receiver.spans.some((s) => s.kind === CONSUMER && s.name === `process ${name}`),
    'the consumer span',
  )

  const server = receiver.spans.find((s) => s.kind === 2 && s.resource['service.name'] === 'booking')
  const send = receiver.spans.find((s) => s.kind === PRODUCER && s.name === `publish ${name}`)
  const process = receiver.spans.find((s) => s.kind === CONSUMER && s.name === `process ${name}`)
  assert.ok(server && send && process, receiver.spans.map((s) => `${s.kind} ${s.name}`).join(', '))
  assert.equal(send.parentSpanId, server.spanId)
  assert.equal(process.parentSpanId, send.spanId)
  assert.equal(process.traceId, server.traceId)
  assert.equal(process.resource['service.name'], 'mailer')
  assert.deepEqual(send.attributes, {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': name,
    'messaging.message.body.size': 17,
    'messaging.message.id': 'msg-unique-1',
  })
  assert.equal(process.attributes['messaging.operation.type'], 'process')
  assert.equal(process.attributes['messaging.destination.name'], name)
  assert.equal(process.attributes['messaging.message.id'], 'msg-unique-1')
  assert.deepEqual(
    process.events?.map((e) => e.name),
    ['ack'],
  )

  const line = consumerLogs.lines.find((l) => l.msg === 'notification handled')
  assert.ok(line, consumerLogs.raw.join('\n'))
  assert.equal(line.trace_id, server.traceId)
  assert.equal(line.span_id, process.spanId)
  assert.equal(line.request_id, 'book-123')
  assert.equal(line.service, 'mailer')
})

test('metrics by destination, never by message id; server-named queues fold into (temporary)', async () => {
  const name = await queue()
  const { queue: generated } = await consumeChannel.assertQueue('', { exclusive: true })
  assert.match(generated, /^amq\.gen-/)
  let delivered = 0
  const tags = [
    await consume(name, (m) => {
      delivered++
      consumeChannel.ack(m)
    }),
    await consume(generated, (m) => {
      delivered++
      consumeChannel.ack(m)
    }),
  ]
  for (let i = 0; i < 3; i++) publishChannel.sendToQueue(name, Buffer.from('x'), { messageId: `id-${i}-${name}` })
  publishChannel.sendToQueue(generated, Buffer.from('y'), { messageId: `id-temp-${name}` })
  await until(() => delivered === 4, 'four deliveries')
  for (const tag of tags) await consumeChannel.cancel(tag)

  const sent = parseMetrics(await producer.metrics.render(false))
  const consumed = parseMetrics(await consumer.metrics.render(false))
  const labels = (destination: string, operation: string) => ({
    messaging_system: 'rabbitmq',
    messaging_operation_name: operation,
    messaging_destination_name: destination,
    error_type: '',
  })
  assert.equal(sampleValue(sent, 'messaging_client_sent_messages_total', labels(name, 'publish')), 3)
  assert.equal(sampleValue(sent, 'messaging_client_operation_duration_seconds_count', labels(name, 'publish')), 3)
  assert.equal(sampleValue(sent, 'messaging_client_sent_messages_total', labels('(temporary)', 'publish')), 1)
  assert.equal(sampleValue(consumed, 'messaging_client_consumed_messages_total', labels(name, 'process')), 3)
  assert.equal(sampleValue(consumed, 'messaging_process_duration_seconds_count', labels(name, 'process')), 3)
  assert.equal(sampleValue(consumed, 'messaging_client_consumed_messages_total', labels('(temporary)', 'process')), 1)
  for (const text of [await producer.metrics.render(false), await consumer.metrics.render(false)]) {
    assert.equal(text.includes('id-0-'), false, 'a message id as a label')
    assert.equal(text.includes(generated), false, 'a server-named queue as a label')
  }
})

test("a handler's rejection is on its span, its metric and one log line; the consumer goes on", async () => {
  const name = await queue()
  const handled: string[] = []
  const tag = await consume(name, async (message) => {
    const body = message.content.toString()
    handled.push(body)
    consumeChannel.ack(message)
    if (body === 'bad') throw new TypeError('patient Jane Doe refused')
  })
  publishChannel.sendToQueue(name, Buffer.from('bad'))
  publishChannel.sendToQueue(name, Buffer.from('good'))
  await until(() => handled.length === 2, 'both deliveries')
  await consumeChannel.cancel(tag)
  await until(() => consumerLogs.lines.some((l) => l.msg === 'message handler failed'), 'the failure line')
  const samples = parseMetrics(await consumer.metrics.render(false))
  const base = { messaging_system: 'rabbitmq', messaging_operation_name: 'process', messaging_destination_name: name }
  assert.equal(
    sampleValue(samples, 'messaging_client_consumed_messages_total', { ...base, error_type: 'TypeError' }),
    1,
  )
  assert.equal(sampleValue(samples, 'messaging_client_consumed_messages_total', { ...base, error_type: '' }), 1)
  for (const tracing of tracings) await tracing.forceFlush()
  await until(() => receiver.spans.some((s) => s.name === `process ${name}` && s.status?.code === 2), 'the failed span')
  const failed = receiver.spans.find((s) => s.name === `process ${name}` && s.status?.code === 2)!
  assert.equal(failed.attributes['error.type'], 'TypeError')
  const line = consumerLogs.lines.find((l) => l.msg === 'message handler failed')!
  assert.equal(line.trace_id, failed.traceId)
  assert.equal(line.err_type, 'TypeError')
  assert.equal(JSON.stringify(receiver.spans).includes('Jane Doe'), false, 'the error message in a span')
  assert.equal(consumerLogs.raw.join('\n').includes('Jane Doe'), false, 'the error message in a log line')
})

test("a confirm channel's send ends at the broker's confirmation, and the caller's callback still runs", async () => {
  const name = await queue()
  const confirms = await connection.createConfirmChannel()
  const confirmed = await new Promise<unknown>((resolve) =>
    confirms.sendToQueue(name, Buffer.from('c'), {}, (error) => resolve(error)),
  )
  assert.equal(confirmed, null)
  await confirms.close()
  const samples = parseMetrics(await producer.metrics.render(false))
  assert.equal(
    sampleValue(samples, 'messaging_client_sent_messages_total', {
      messaging_system: 'rabbitmq',
      messaging_operation_name: 'publish',
      messaging_destination_name: name,
      error_type: '',
    }),
    1,
  )
})

test('a broker outage: the client throws what it throws without Sightline, and the failed send is counted', async () => {
  const proxy = await new FaultProxy('127.0.0.1', Number(new URL(AMQP_URL).port || 5672)).start()
  const url = new URL(AMQP_URL)
  url.host = `127.0.0.1:${proxy.port}`
  const cut = instrumentAmqplib(await amqplib.connect(url.toString()), { sightline: producer })
  const errors: unknown[] = []
  cut.on('error', (error) => errors.push(error))
  const closed = new Promise((resolve) => cut.once('close', resolve))
  const channel = await cut.createChannel()
  channel.on('error', () => {})
  const name = await queue()
  assert.equal(channel.sendToQueue(name, Buffer.from('before')), true)
  proxy.set('reset')
  await closed
  // amqplib's own error for a closed channel, thrown as it would be uninstrumented.
  assert.throws(() => channel.sendToQueue(name, Buffer.from('after')), { name: 'IllegalOperationError' })
  await proxy.close()
  const samples = parseMetrics(await producer.metrics.render(false))
  assert.equal(
    sampleValue(samples, 'messaging_client_sent_messages_total', {
      messaging_system: 'rabbitmq',
      messaging_operation_name: 'publish',
      messaging_destination_name: name,
      error_type: 'IllegalOperationError',
    }),
    1,
  )
})
