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
import { instrumentAmqplib } from 'sightline/amqplib'
import { currentBaggage } from 'sightline/tracing'
import { FaultProxy } from '../helpers/fault-proxy.js'
import { AMQP_URL, messagingSample, serveOnce, TwoServices, unique, until } from './brokers.js'

let services: TwoServices
let connection: ChannelModel
let consumerConnection: ChannelModel
let publishChannel: Channel
let consumeChannel: Channel
const queues: string[] = []

before(async () => {
  services = await TwoServices.start()
  connection = instrumentAmqplib(await amqplib.connect(AMQP_URL), { sightline: services.producer })
  publishChannel = await connection.createChannel()
  consumerConnection = await amqplib.connect(AMQP_URL)
  consumeChannel = instrumentAmqplib(await consumerConnection.createChannel(), { sightline: services.consumer })
})

after(async () => {
  for (const queue of queues) await publishChannel.deleteQueue(queue)
  await connection.close()
  await consumerConnection.close()
  await services.close()
})

/** `messaging_client_sent_messages_total` of the producer for a RabbitMQ publish to `destination`. */
const sent = (destination: string, errorType = '') =>
  messagingSample(
    services.producer,
    'messaging_client_sent_messages_total',
    'rabbitmq',
    'publish',
    destination,
    errorType,
  )
/** `messaging_client_consumed_messages_total` of the consumer for `destination`. */
const consumed = (destination: string, errorType = '') =>
  messagingSample(
    services.consumer,
    'messaging_client_consumed_messages_total',
    'rabbitmq',
    'process',
    destination,
    errorType,
  )

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
  const seen: Array<{ tenant: string | undefined; body: string; own: unknown }> = []
  const tag = await consume(name, (message) => {
    seen.push({
      tenant: currentBaggage()?.getEntry('tenant')?.value,
      body: message.content.toString(),
      own: message.properties.headers?.['x-app'],
    })
    services.consumer.logger.info({ appointment: 7 }, 'notification handled')
    consumeChannel.ack(message)
  })
  const requestId = await serveOnce(
    services.producer,
    { baggage: 'tenant=acme', 'x-request-id': 'book-123' },
    async (_req, res) => {
      const options = { messageId: 'msg-unique-1', headers: { 'x-app': 'kept' } }
      publishChannel.sendToQueue(name, Buffer.from('{"appointment":7}'), options)
      // The application's options object is not written to: the context goes on a copy.
      assert.deepEqual(options.headers, { 'x-app': 'kept' })
      res.end('ok')
    },
  )
  assert.equal(requestId, 'book-123')
  await until(() => seen.length === 1, 'the delivery')
  await consumeChannel.cancel(tag)
  assert.deepEqual(seen, [{ tenant: 'acme', body: '{"appointment":7}', own: 'kept' }])
  const { server, send, process } = await services.messageTrace(`publish ${name}`, `process ${name}`)
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

  const line = services.consumerLogs.lines.find((l) => l.msg === 'notification handled')
  assert.ok(line, services.consumerLogs.raw.join('\n'))
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

  assert.equal(await sent(name), 3)
  assert.equal(
    await messagingSample(
      services.producer,
      'messaging_client_operation_duration_seconds_count',
      'rabbitmq',
      'publish',
      name,
    ),
    3,
  )
  assert.equal(await sent('(temporary)'), 1)
  assert.equal(await consumed(name), 3)
  assert.equal(
    await messagingSample(services.consumer, 'messaging_process_duration_seconds_count', 'rabbitmq', 'process', name),
    3,
  )
  assert.equal(await consumed('(temporary)'), 1)
  for (const text of [await services.producer.metrics.render(false), await services.consumer.metrics.render(false)]) {
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
  await until(() => services.consumerLogs.lines.some((l) => l.msg === 'message handler failed'), 'the failure line')
  assert.equal(await consumed(name, 'TypeError'), 1)
  assert.equal(await consumed(name), 1)
  await services.flush()
  await until(
    () => services.receiver.spans.some((s) => s.name === `process ${name}` && s.status?.code === 2),
    'the failed span',
  )
  const failed = services.receiver.spans.find((s) => s.name === `process ${name}` && s.status?.code === 2)!
  assert.equal(failed.attributes['error.type'], 'TypeError')
  const line = services.consumerLogs.lines.find((l) => l.msg === 'message handler failed')!
  assert.equal(line.trace_id, failed.traceId)
  assert.equal(line.err_type, 'TypeError')
  assert.equal(JSON.stringify(services.receiver.spans).includes('Jane Doe'), false, 'the error message in a span')
  assert.equal(services.consumerLogs.raw.join('\n').includes('Jane Doe'), false, 'the error message in a log line')
})

test("a confirm channel's send ends at the broker's confirmation, and the caller's callback still runs", async () => {
  const name = await queue()
  const confirms = await connection.createConfirmChannel()
  const confirmed = await new Promise<unknown>((resolve) =>
    confirms.sendToQueue(name, Buffer.from('c'), {}, (error) => resolve(error)),
  )
  assert.equal(confirmed, null)
  await confirms.close()
  assert.equal(await sent(name), 1)
})

test('a broker outage: the client throws what it throws without Sightline, and the failed send is counted', async () => {
  const proxy = await new FaultProxy('127.0.0.1', Number(new URL(AMQP_URL).port || 5672)).start()
  const url = new URL(AMQP_URL)
  url.host = `127.0.0.1:${proxy.port}`
  const cut = instrumentAmqplib(await amqplib.connect(url.toString()), { sightline: services.producer })
  // The reset is a connection error amqplib emits: unhandled, it would crash the test.
  cut.on('error', () => {})
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
  assert.equal(await sent(name, 'IllegalOperationError'), 1)
})
