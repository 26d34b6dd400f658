/**
 * @module instrumentations/amqplib/instrument
 * `instrumentAmqplib(channel)` (or a connection, whose channels are then instrumented as they
 * are made): `publish` and `sendToQueue` are PRODUCER spans named `publish <destination>` whose
 * context and request id go into the message's headers; each message a `consume` callback gets
 * is a CONSUMER `process <queue>` span, child of the producer's, the callback running inside the
 * message's context (instrumentations/messaging/telemetry). `ack`, `nack` and `reject` are events
 * on the message's span while its handler runs. On a confirm channel a send ends at the broker's
 * confirmation, so its duration and error are the broker's answer.
 *
 * The destination (RabbitMQ conventions): the exchange, or the queue for the default exchange
 * (`sendToQueue`); a consumer's is its queue. Routing keys and message ids are span attributes,
 * never metric labels. Only the instance's methods are wrapped, never amqplib's prototypes.
 */
import type { Attributes, Span } from '@opentelemetry/api'
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_TEMPORARY,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
  ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_OPERATION_TYPE_VALUE_SETTLE,
  MESSAGING_SYSTEM_VALUE_RABBITMQ,
} from '../../core/semconv.js'
import { type Carrier, type MessagingOptions, MessagingTelemetry, OPERATION_PROCESS } from '../messaging/telemetry.js'

const TRACER = 'sightline-amqplib'
const OPERATION_PUBLISH = 'publish'

/** What Sightline reads of a delivered message (amqplib's `ConsumeMessage`). */
export interface AmqplibMessage {
  readonly content: { readonly length: number }
  readonly fields: { readonly deliveryTag: number; readonly routingKey: string; readonly exchange: string }
  readonly properties: {
    readonly headers?: Record<string, unknown>
    readonly messageId?: unknown
    readonly correlationId?: unknown
  }
}

interface PublishOptions {
  headers?: Record<string, unknown>
  messageId?: string
  correlationId?: string
  [option: string]: unknown
}

/**
 * The part of an amqplib channel (`Channel` or `ConfirmChannel` of the promise API) Sightline
 * wraps. Structural, so that the published types name no amqplib type.
 */
export interface AmqplibChannel {
  publish(exchange: string, routingKey: string, content: Buffer, options?: never, ...rest: never[]): boolean
  consume(queue: string, onMessage: never, options?: never): Promise<unknown>
  ack(message: never, allUpTo?: boolean): void
  nack(message: never, allUpTo?: boolean, requeue?: boolean): void
  reject(message: never, requeue?: boolean): void
}

/** An amqplib connection (`ChannelModel`): its channels are instrumented as they are created. */
export interface AmqplibConnection {
  createChannel(): Promise<unknown>
  createConfirmChannel(): Promise<unknown>
}

export interface AmqplibInstrumentationOptions extends MessagingOptions {}

const kInstrumented = Symbol('sightline.amqplib')
type Marked = { [kInstrumented]?: true }
type Publish = (
  this: unknown,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options?: PublishOptions,
  confirmed?: (error: unknown, ok?: unknown) => void,
) => boolean
type Consume = (
  this: unknown,
  queue: string,
  onMessage: (message: AmqplibMessage | null) => unknown,
  options?: unknown,
) => Promise<unknown>
type Settle = (this: unknown, message: AmqplibMessage, ...rest: unknown[]) => void

/**
 * Instruments one channel, or a connection's channels, in place, and returns it.
 * @example
 * const connection = instrumentAmqplib(await amqplib.connect(process.env.AMQP_URL), { sightline })
 * const channel = await connection.createChannel()
 */
export function instrumentAmqplib<C extends AmqplibChannel | AmqplibConnection>(
  target: C,
  options: AmqplibInstrumentationOptions = {},
): C {
  const telemetry = new MessagingTelemetry(MESSAGING_SYSTEM_VALUE_RABBITMQ, TRACER, options)
  if (isConnection(target)) instrumentConnection(target, telemetry)
  else instrumentChannel(target, telemetry)
  return target
}

function isConnection(target: object): target is AmqplibConnection {
  return typeof (target as Partial<AmqplibConnection>).createChannel === 'function'
}

function instrumentConnection(connection: AmqplibConnection, telemetry: MessagingTelemetry): void {
  if ((connection as AmqplibConnection & Marked)[kInstrumented]) return
  ;(connection as AmqplibConnection & Marked)[kInstrumented] = true
  for (const method of ['createChannel', 'createConfirmChannel'] as const) {
    const original = connection[method]
    connection[method] = async function (this: unknown) {
      const channel = await original.call(this)
      instrumentChannel(channel as AmqplibChannel, telemetry)
      return channel
    }
  }
}

function instrumentChannel(channel: AmqplibChannel, telemetry: MessagingTelemetry): void {
  if ((channel as AmqplibChannel & Marked)[kInstrumented]) return
  ;(channel as AmqplibChannel & Marked)[kInstrumented] = true
  const confirms = typeof (channel as { waitForConfirms?: unknown }).waitForConfirms === 'function'
  /** The open `process` span of each message being handled, for its settlement. */
  const processing = new WeakMap<object, Span>()

  const publish = channel.publish as unknown as Publish
  // `sendToQueue` calls `this.publish('', queue, …)`: wrapping `publish` covers both, once.
  ;(channel as unknown as { publish: Publish }).publish = function (
    this: unknown,
    exchange,
    routingKey,
    content,
    options,
    confirmed,
  ) {
    const destination = exchange === '' ? routingKey : exchange
    const send = telemetry.send(
      OPERATION_PUBLISH,
      destination,
      publishAttributes(telemetry, exchange, routingKey, destination, content, options),
    )
    const withHeaders: PublishOptions = { ...options, headers: { ...send.headers, ...options?.headers } }
    let sent: boolean
    try {
      if (!confirms) sent = publish.call(this, exchange, routingKey, content, withHeaders)
      else {
        sent = publish.call(this, exchange, routingKey, content, withHeaders, (error: unknown, ok?: unknown) => {
          send.end(error !== null && error !== undefined, error)
          confirmed?.(error, ok)
        })
      }
    } catch (error) {
      send.end(true, error)
      throw error
    }
    if (!confirms) send.end()
    return sent
  }

  const consume = channel.consume as unknown as Consume
  ;(channel as unknown as { consume: Consume }).consume = function (this: unknown, queue, onMessage, consumeOptions) {
    const delivered = (message: AmqplibMessage | null) => {
      // `null`: the broker cancelled the consumer; nothing to trace.
      if (message === null) return onMessage(message)
      return telemetry.process(
        queue,
        carrierOf(message.properties.headers),
        processAttributes(telemetry, queue, message),
        () => onMessage(message),
        (span) => processing.set(message, span),
      )
    }
    return consume.call(this, queue, delivered, consumeOptions)
  }

  for (const method of ['ack', 'nack', 'reject'] as const) {
    const original = channel[method] as unknown as Settle
    ;(channel as unknown as Record<string, Settle>)[method] = function (this: unknown, message, ...rest) {
      const span = typeof message === 'object' && message !== null ? processing.get(message) : undefined
      if (span?.isRecording()) {
        span.addEvent(method, { [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SETTLE })
      }
      return original.call(this, message, ...rest)
    }
  }
}

function publishAttributes(
  telemetry: MessagingTelemetry,
  exchange: string,
  routingKey: string,
  destination: string,
  content: Buffer,
  options: PublishOptions | undefined,
): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_RABBITMQ,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: OPERATION_PUBLISH,
    [ATTR_MESSAGING_DESTINATION_NAME]: destination,
  }
  if (exchange !== '' && routingKey !== '') attributes[ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = routingKey
  if (telemetry.destinations.isTemporary(destination)) attributes[ATTR_MESSAGING_DESTINATION_TEMPORARY] = true
  if (typeof content?.length === 'number') attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = content.length
  if (typeof options?.messageId === 'string') attributes[ATTR_MESSAGING_MESSAGE_ID] = options.messageId
  if (typeof options?.correlationId === 'string') {
    attributes[ATTR_MESSAGING_MESSAGE_CONVERSATION_ID] = options.correlationId
  }
  return attributes
}

function processAttributes(telemetry: MessagingTelemetry, queue: string, message: AmqplibMessage): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_RABBITMQ,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: OPERATION_PROCESS,
    [ATTR_MESSAGING_DESTINATION_NAME]: queue,
    [ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG]: message.fields.deliveryTag,
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: message.content.length,
  }
  if (message.fields.routingKey !== '' && message.fields.routingKey !== queue) {
    attributes[ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = message.fields.routingKey
  }
  if (telemetry.destinations.isTemporary(queue)) attributes[ATTR_MESSAGING_DESTINATION_TEMPORARY] = true
  const { messageId, correlationId } = message.properties
  if (typeof messageId === 'string') attributes[ATTR_MESSAGING_MESSAGE_ID] = messageId
  if (typeof correlationId === 'string') attributes[ATTR_MESSAGING_MESSAGE_CONVERSATION_ID] = correlationId
  return attributes
}

/** The message's headers as text (amqplib decodes AMQP strings to strings; anything else is skipped). */
function carrierOf(headers: Record<string, unknown> | undefined): Carrier {
  const carrier: Carrier = {}
  if (headers === undefined || headers === null) return carrier
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (typeof value === 'string') carrier[name.toLowerCase()] = value
  }
  return carrier
}
