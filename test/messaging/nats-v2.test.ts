/**
 * @module test/messaging/nats-v2
 * `sightline/nats` with the older `nats` v2 client, given its own `headers`: a publish handled by
 * a callback subscription and a request answered by a responder are each one trace, and the
 * handler's log line carries the producer's trace id and request id.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { connect, headers, type NatsConnection } from 'nats'
import { instrumentNats } from 'sightline/nats'
import { NATS_URL, PRODUCER, serveOnce, TwoServices, unique, until } from './brokers.js'

const encoder = new TextEncoder()
let services: TwoServices
let publisher: NatsConnection
let subscriber: NatsConnection

before(async () => {
  services = await TwoServices.start()
  publisher = instrumentNats(await connect({ servers: NATS_URL }), { headers, sightline: services.producer })
  subscriber = instrumentNats(await connect({ servers: NATS_URL }), { headers, sightline: services.consumer })
})

after(async () => {
  await publisher.close()
  await subscriber.close()
  await services.close()
})

test('nats v2: publish from a request to a callback subscription is one trace, the log line correlated', async () => {
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
    publisher.publish(subject, encoder.encode('hello'))
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

test('nats v2: a request and its responder are one trace, the request one PRODUCER span', async () => {
  const subject = unique('sightline.v2rpc')
  const sub = subscriber.subscribe(subject, { callback: (_error, message) => message.respond(encoder.encode('pong')) })
  await subscriber.flush()
  await serveOnce(services.producer, {}, async (_req, res) => {
    const reply = await publisher.request(subject, encoder.encode('ping'), { timeout: 2000 })
    res.end(new TextDecoder().decode(reply.data))
  })
  sub.unsubscribe()
  const { send } = await services.messageTrace(`request ${subject}`, `process ${subject}`)
  assert.equal(services.receiver.spans.filter((s) => s.traceId === send.traceId && s.kind === PRODUCER).length, 1)
})
