/**
 * @module test/messaging/brokers
 * The real brokers the messaging tests use (scripts/ensure-services.sh starts them), the two
 * services on either side of them (each its own Sightline, tracing every request into one
 * receiver), and a server that answers one request through a Sightline pipeline, as a service
 * publishing from a request would.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSightline, type Sightline } from 'sightline'
import { instrumentNats, type NatsConnection, type NatsHeaders } from 'sightline/nats'
import { setupTracing, type Tracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { parseMetrics, sampleValue } from '../helpers/metrics.js'
import { OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js'

/** OTLP span kinds. */
export const PRODUCER = 4
export const CONSUMER = 5

export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

/** A name no other run (or test file) shares. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
}

/** Serves one request with `handler` through `sightline`'s pipeline; resolves with the response's request id. */
export async function serveOnce(
  sightline: Sightline,
  headers: Record<string, string>,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<string> {
  const server = sightline.instrument(createServer((req, res) => void handler(req, res)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/book`, { headers })
    assert.equal(reply.status, 200, await reply.text())
    return reply.headers.get('x-request-id') as string
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** A producing service (`booking`) and a consuming one (`mailer`), both exporting to one receiver. */
export class TwoServices {
  readonly producerLogs = new LogCapture()
  readonly consumerLogs = new LogCapture()
  readonly producer = createSightline({
    service: 'booking',
    logDestination: this.producerLogs,
    shutdown: { signals: false },
  })
  readonly consumer = createSightline({
    service: 'mailer',
    logDestination: this.consumerLogs,
    shutdown: { signals: false },
  })
  private readonly tracings: Tracing[] = []
  /** Connections made for the services, closed first by `close()`. */
  private readonly connections: Array<{ close(): Promise<unknown> }> = []

  constructor(readonly receiver: OtlpReceiver) {}

  static async start(): Promise<TwoServices> {
    const services = new TwoServices(await new OtlpReceiver().start())
    for (const sightline of [services.producer, services.consumer]) {
      services.tracings.push(
        await setupTracing(sightline, {
          ratio: 1,
          protocol: 'http/json',
          endpoint: `${services.receiver.url}/v1/traces`,
        }),
      )
    }
    return services
  }

  async flush(): Promise<void> {
    for (const tracing of this.tracings) await tracing.forceFlush()
  }

  /**
   * The producer's server span, its PRODUCER span `producerSpan` and the consumer's CONSUMER span
   * `consumerSpan`, waited for and checked to be one chain of one trace.
   */
  async messageTrace(
    producerSpan: string,
    consumerSpan: string,
  ): Promise<Record<'server' | 'send' | 'process', ReceivedSpan>> {
    await this.flush()
    const spans = this.receiver.spans
    await until(() => spans.some((s) => s.kind === CONSUMER && s.name === consumerSpan), consumerSpan)
    const send = spans.find((s) => s.kind === PRODUCER && s.name === producerSpan)
    const process = spans.find((s) => s.kind === CONSUMER && s.name === consumerSpan)
    // The request's server span is the send's parent: the one of this test, not of an earlier one.
    const server = spans.find((s) => s.kind === 2 && s.spanId === send?.parentSpanId)
    assert.ok(server && send && process, spans.map((s) => `${s.kind} ${s.name}`).join(', '))
    assert.equal(server.resource['service.name'], 'booking')
    assert.equal(process.parentSpanId, send.spanId)
    assert.equal(process.traceId, server.traceId)
    assert.equal(process.resource['service.name'], 'mailer')
    return { server, send, process }
  }

  /**
   * A NATS connection for each service (the producer's, the consumer's), made with the client's
   * own `connect` and instrumented with its own `headers`: one test runs against v3, one against v2.
   */
  async natsPair<C extends NatsConnection & { close(): Promise<unknown> }>(
    connect: (options: { servers: string }) => Promise<C>,
    headers: () => NatsHeaders,
  ): Promise<[C, C]> {
    const pair: C[] = []
    for (const sightline of [this.producer, this.consumer]) {
      const nc = instrumentNats(await connect({ servers: NATS_URL }), { headers, sightline })
      this.connections.push(nc)
      pair.push(nc)
    }
    return pair as [C, C]
  }

  async close(): Promise<void> {
    for (const connection of this.connections) await connection.close()
    for (const tracing of this.tracings) await tracing.shutdown()
    await this.receiver.close()
  }
}

/** The value of `metric` on `sightline` for one system, operation, destination and error type. */
export async function messagingSample(
  sightline: Sightline,
  metric: string,
  system: string,
  operation: string,
  destination: string,
  errorType = '',
): Promise<number | undefined> {
  return sampleValue(parseMetrics(await sightline.metrics.render(false)), metric, {
    messaging_system: system,
    messaging_operation_name: operation,
    messaging_destination_name: destination,
    error_type: errorType,
  })
}
