/**
 * @module test/messaging/nats
 * `sightline/nats` on the real NATS server (@nats-io/transport-node v3): a message published from
 * a request and handled by a callback subscription is one trace, with baggage and `X-Request-ID`
 * in the NATS headers and the handler's log line correlated; request/reply; `for await`
 * subscriptions; metrics by subscription subject, inboxes folded, never a message id; a server
 * outage leaves the client's own behaviour; and the older `nats` v2 client, given its own `headers`.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { connect, headers, type NatsConnection } from '@nats-io/transport-node'
import { connect as connectV2, headers as headersV2 } from 'nats'
import { instrumentNats } from 'sightline/nats'
import { currentBaggage } from 'sightline/tracing'
import { FaultProxy } from '../helpers/fault-proxy.js'
import { parseMetrics } from '../helpers/metrics.js'
import { CONSUMER, messagingSample, NATS_URL, PRODUCER, serveOnce, TwoServices, unique, until } from './brokers.js'

let services: TwoServices
let publisher: NatsConnection
let subscriber: NatsConnection

before(async () => {
  services = await TwoServices.start()
  ;[publisher, subscriber] = await services.natsPair(connect, headers)
})

/** `messaging_client_consumed_messages_total` of the consumer for a subscription to `destination`. */
const consumed = (destination: string) =>
  messagingSample(services.consumer, 'messaging_client_consumed_messages_total', 'nats', 'process', destination)

after(() => services.close())

test('published from a request, handled by a callback subscription: one trace, baggage and request id, log line correlated', async () => {
  const subject = unique('sightline.nats')
  const seen: Array<string | undefined> = []
  const sub = subscriber.subscribe(subject, {
    callback: (_error, message) => {
      seen.push(currentBaggage()?.getEntry('tenant')?.value)
      services.consumer.logger.info({ bytes: message.data.length }, 'notification handled')
    },
  })
  await subscriber.flush()
  await serveOnce(services.producer, { baggage: 'tenant=acme', 'x-request-id': 'nats-req-1' }, async (_req, res) => {
    publisher.publish(subject, 'hello')
    res.end('ok')
  })
  await until(() => seen.length === 1, 'the delivery')
  sub.unsubscribe()
  assert.deepEqual(seen, ['acme'])
  const { server, send, process } = await services.messageTrace(`publish ${subject}`, `process ${subject}`)
  assert.equal(send.attributes['messaging.system'], 'nats')
  assert.equal(send.attributes['messaging.destination.name'], subject)
  const line = services.consumerLogs.lines.find((l) => l.msg === 'notification handled')
  assert.ok(line, services.consumerLogs.raw.join('\n'))
  assert.equal(line.trace_id, server.traceId)
  assert.equal(line.span_id, process.spanId)
  assert.equal(line.request_id, 'nats-req-1')
})

test("the application's own headers are kept, and a set it reuses never carries one message's context into the next", async () => {
  const subject = unique('sightline.headers')
  const received: Array<{ tenant: string; traceparent: string }> = []
  const sub = subscriber.subscribe(subject, {
    callback: (_error, message) => {
      received.push({
        tenant: message.headers?.get('x-tenant') ?? '',
        traceparent: message.headers?.get('traceparent') ?? '',
      })
    },
  })
  await subscriber.flush()
  const shared = headers()
  shared.set('x-tenant', 'acme')
  for (let i = 0; i < 2; i++) {
    await serveOnce(services.producer, {}, async (_req, res) => {
      publisher.publish(subject, 'x', { headers: shared })
      res.end('ok')
    })
  }
  await until(() => received.length === 2, 'both deliveries')
  sub.unsubscribe()
  assert.deepEqual(
    received.map((r) => r.tenant),
    ['acme', 'acme'],
  )
  const [first, second] = received.map((r) => r.traceparent.split('-')[1])
  assert.match(String(first), /^[0-9a-f]{32}$/)
  assert.notEqual(first, second, 'two requests, two traces')
  assert.equal(shared.has('traceparent'), false, "the application's set is left as it was")
})

test('request/reply: one request span around the reply, the responder in its trace; inboxes fold into (temporary)', async () => {
  const subject = unique('sightline.rpc')
  const sub = subscriber.subscribe(subject, {
    callback: (_error, message) => {
      services.consumer.logger.info('answering')
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
  await services.flush()
  await until(() => services.receiver.spans.some((s) => s.name === `process ${subject}`), 'the responder span')
  const request = services.receiver.spans.find((s) => s.kind === PRODUCER && s.name === `request ${subject}`)
  const responder = services.receiver.spans.find((s) => s.name === `process ${subject}`)
  assert.ok(request && responder)
  assert.equal(responder.parentSpanId, request.spanId)
  assert.equal(
    services.receiver.spans.filter((s) => s.traceId === request.traceId && s.kind === PRODUCER).length,
    1,
    'the request publishes once, not a span of its own',
  )
  assert.equal(
    await messagingSample(
      services.producer,
      'messaging_client_operation_duration_seconds_count',
      'nats',
      'request',
      subject,
    ),
    1,
  )
  assert.equal(
    await messagingSample(services.producer, 'messaging_client_sent_messages_total', 'nats', 'publish', '(temporary)'),
    1,
  )
  assert.equal(await consumed('(temporary)'), 1)
  for (const text of [await services.producer.metrics.render(false), await services.consumer.metrics.render(false)]) {
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
  assert.equal(await consumed(`${root}.*`), 3)
  await services.flush()
  await until(
    () => services.receiver.spans.filter((s) => s.kind === CONSUMER && s.name === `process ${root}.*`).length === 3,
    'three consumer spans',
  )
  for (const span of services.receiver.spans.filter((s) => s.kind === CONSUMER && s.name === `process ${root}.*`)) {
    const send = services.receiver.spans.find((s) => s.spanId === span.parentSpanId)
    assert.ok(send, 'each process span has its producer as parent')
    assert.equal(send.attributes['messaging.destination.name'], span.attributes['messaging.destination.name'])
  }
})

test('options are checked once, when instrumenting: a missing headers function, a bad cap', async () => {
  const nc = await connect({ servers: NATS_URL })
  try {
    assert.throws(() => instrumentNats(nc, {} as never), { code: 'SIGHTLINE_ERR_INVALID_OPTION', message: /headers/ })
    assert.throws(() => instrumentNats(nc, { headers, sightline: services.producer, maxDestinations: 0 }), {
      code: 'SIGHTLINE_ERR_INVALID_OPTION',
      message: /maxDestinations/,
    })
    // Refused options left the connection as it was: instrumenting it properly still works.
    const traced = instrumentNats(nc, { headers, sightline: services.producer, maxDestinations: 1 })
    traced.publish(unique('sightline.cap-a'), 'x')
    traced.publish(unique('sightline.cap-b'), 'x')
    assert.equal(
      await messagingSample(services.producer, 'messaging_client_sent_messages_total', 'nats', 'publish', '(other)'),
      1,
    )
  } finally {
    await nc.close()
  }
})

test('a server outage: publish and request fail as the client makes them fail, and are counted', async () => {
  const proxy = await new FaultProxy('127.0.0.1', Number(new URL(NATS_URL).port || 4222)).start()
  const nc = instrumentNats(await connect({ servers: `127.0.0.1:${proxy.port}`, reconnect: false }), {
    headers,
    sightline: services.producer,
  })
  const subject = unique('sightline.outage')
  const closed = nc.closed()
  proxy.set('reset')
  await closed
  assert.throws(() => nc.publish(subject, 'x'), /closed/i)
  await assert.rejects(nc.request(subject, 'x', { timeout: 500 }), /closed/i)
  await proxy.close()
  const samples = parseMetrics(await services.producer.metrics.render(false))
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

test('the nats v2 client, given its own headers: publish from a request to a callback subscription is one trace, the log line correlated', async () => {
  const [publisher, subscriber] = await services.natsPair(connectV2, headersV2)
  const subject = unique('sightline.v2')
  let handled = 0
  const sub = subscriber.subscribe(subject, {
    callback: () => {
      handled++
      services.consumer.logger.info('v2 message handled')
    },
  })
  await subscriber.flush()
  await serveOnce(services.producer, { 'x-request-id': 'nats-v2-1' }, async (_req, res) => {
    publisher.publish(subject, new TextEncoder().encode('hello'))
    res.end('ok')
  })
  await until(() => handled === 1, 'the delivery')
  sub.unsubscribe()
  const { server, process } = await services.messageTrace(`publish ${subject}`, `process ${subject}`)
  const line = services.consumerLogs.lines.find((l) => l.msg === 'v2 message handled')
  assert.ok(line)
  assert.equal(line.trace_id, server.traceId)
  assert.equal(line.span_id, process.spanId)
  assert.equal(line.request_id, 'nats-v2-1')
})

test('the nats v2 client: a request and its responder are one trace, the request one PRODUCER span', async () => {
  const [publisher, subscriber] = await services.natsPair(connectV2, headersV2)
  const subject = unique('sightline.v2rpc')
  const sub = subscriber.subscribe(subject, {
    callback: (_error, message) => message.respond(new TextEncoder().encode('pong')),
  })
  await subscriber.flush()
  await serveOnce(services.producer, {}, async (_req, res) => {
    const reply = await publisher.request(subject, new TextEncoder().encode('ping'), { timeout: 2000 })
    res.end(new TextDecoder().decode(reply.data))
  })
  sub.unsubscribe()
  const { send } = await services.messageTrace(`request ${subject}`, `process ${subject}`)
  assert.equal(services.receiver.spans.filter((s) => s.traceId === send.traceId && s.kind === PRODUCER).length, 1)
})
