/**
 * @module instrumentations/nats/instrument
 * `instrumentNats(nc, { headers })`: `publish` is a PRODUCER span `publish <subject>`, `request` one
 * `request <subject>` ending with the reply, both writing their context and the request id into
 * the message's NATS headers; each message a subscription's callback gets is a CONSUMER
 * `process <subscription>` span, child of the producer's, the callback running inside the
 * message's context (instrumentations/messaging/telemetry). Messages read with `for await` get
 * their span from delivery to the next read (trace continuity); the loop body is the
 * application's own async code, which no wrapper can enter, so its log lines carry no message
 * context unless it subscribes with a callback.
 *
 * Works with the `@nats-io/transport-node` (v3) and `nats` (v2) clients: headers are made with
 * the `headers` function of the package the application uses, given once. A subscription's
 * metric label is its subject as subscribed (`orders.*`), never the subject of each message, and
 * reply inboxes (`_INBOX.…`, or the connection's `inboxPrefix`) fold into `(temporary)`.
 */
import type { Attributes } from '@opentelemetry/api'
import { SightlineOptionError } from '../../core/errors.js'
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_TEMPORARY,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
} from '../../core/semconv.js'
import {
  type Carrier,
  type MessagingOptions,
  MessagingTelemetry,
  OPERATION_PROCESS,
  type Send,
} from '../messaging/telemetry.js'

const TRACER = 'sightline-nats'
/** `messaging.system`: the conventions list no value for NATS; this is the one they would take. */
const SYSTEM = 'nats'
const OPERATION_PUBLISH = 'publish'
const OPERATION_REQUEST = 'request'

/** NATS message headers (`MsgHdrs`), as Sightline uses them. */
export interface NatsHeaders {
  get(name: string): string
  set(name: string, value: string): void
  append(name: string, value: string): void
  has(name: string): boolean
  keys(): string[]
  values(name: string): string[]
}

/** What Sightline reads of a received message (`Msg`). */
export interface NatsMessage {
  readonly subject: string
  readonly data: { readonly length: number }
  readonly headers?: NatsHeaders
}

interface SendOptions {
  headers?: NatsHeaders
  [option: string]: unknown
}

interface SubscribeOptions {
  queue?: string
  callback?: (error: unknown, message: NatsMessage) => void
  [option: string]: unknown
}

/** The part of a `NatsConnection` Sightline wraps. Structural: no nats type in the published ones. */
export interface NatsConnection {
  publish(subject: string, payload?: never, options?: never): void
  subscribe(subject: string, options?: never): unknown
  request(subject: string, payload?: never, options?: never): Promise<unknown>
  readonly options?: { readonly inboxPrefix?: string }
}

export interface NatsInstrumentationOptions extends MessagingOptions {
  /** The `headers` function of the NATS package in use (`import { headers } from '@nats-io/transport-node'`). */
  headers: () => NatsHeaders
}

const kInstrumented = Symbol('sightline.nats')
type Marked = { [kInstrumented]?: true }
type Publish = (this: unknown, subject: string, payload?: unknown, options?: SendOptions) => void
type Request = (this: unknown, subject: string, payload?: unknown, options?: SendOptions) => Promise<unknown>
type Subscribe = (this: unknown, subject: string, options?: SubscribeOptions) => AsyncIterable<NatsMessage>

/**
 * Instruments one connection in place and returns it.
 * @example
 * import { connect, headers } from '@nats-io/transport-node'
 * const nc = instrumentNats(await connect({ servers: process.env.NATS_URL }), { headers, sightline })
 */
export function instrumentNats<N extends NatsConnection>(nc: N, options: NatsInstrumentationOptions): N {
  if (typeof options?.headers !== 'function') {
    throw new SightlineOptionError('headers', "the NATS package's headers function", options?.headers)
  }
  if ((nc as N & Marked)[kInstrumented]) return nc
  const makeHeaders = options.headers
  const prefix = nc.options?.inboxPrefix
  // Built (and its options validated) before the connection is marked: a bad option leaves it untouched.
  const telemetry = new MessagingTelemetry(SYSTEM, TRACER, options, prefix ? [prefix] : [])
  ;(nc as N & Marked)[kInstrumented] = true
  // `request` publishes (and, without muxing, subscribes to its inbox) through the connection's
  // own methods: inside it, those are the request's, not operations of their own.
  let inRequest = 0

  // A new set of headers per message, with the application's copied in: a set it reuses for
  // every message must not carry one message's trace context into the next.
  const withHeaders = (send: Send, given: SendOptions | undefined): SendOptions => {
    const headers = makeHeaders()
    const own = given?.headers
    if (own !== undefined)
      for (const name of own.keys()) for (const value of own.values(name)) headers.append(name, value)
    for (const name of Object.keys(send.headers)) {
      if (!headers.has(name)) headers.set(name, send.headers[name] as string)
    }
    return { ...given, headers }
  }

  const publish = nc.publish as unknown as Publish
  ;(nc as unknown as { publish: Publish }).publish = function (this: unknown, subject, payload, publishOptions) {
    if (inRequest > 0) return publish.call(this, subject, payload, publishOptions)
    const send = telemetry.send(
      OPERATION_PUBLISH,
      subject,
      sendAttributes(telemetry, OPERATION_PUBLISH, subject, payload),
    )
    try {
      publish.call(this, subject, payload, withHeaders(send, publishOptions))
    } catch (error) {
      send.end(true, error)
      throw error
    }
    send.end()
  }

  const request = nc.request as unknown as Request
  ;(nc as unknown as { request: Request }).request = function (this: unknown, subject, payload, requestOptions) {
    const send = telemetry.send(
      OPERATION_REQUEST,
      subject,
      sendAttributes(telemetry, OPERATION_REQUEST, subject, payload),
    )
    let reply: Promise<unknown>
    inRequest++
    try {
      // nats reads (and writes) the options object: a copy, never one it would not have had.
      reply = request.call(this, subject, payload, withHeaders(send, requestOptions ?? { timeout: 1000 }))
    } catch (error) {
      send.end(true, error)
      throw error
    } finally {
      inRequest--
    }
    reply.then(
      () => send.end(),
      (error: unknown) => send.end(true, error),
    )
    return reply
  }

  const subscribe = nc.subscribe as unknown as Subscribe
  ;(nc as unknown as { subscribe: Subscribe }).subscribe = function (this: unknown, subject, subscribeOptions) {
    if (inRequest > 0) return subscribe.call(this, subject, subscribeOptions)
    const queue = subscribeOptions?.queue
    const callback = subscribeOptions?.callback
    const process = <T>(message: NatsMessage, handler: () => T): T =>
      telemetry.process(
        subject,
        carrierOf(message.headers),
        processAttributes(telemetry, subject, message, queue),
        handler,
      )
    if (typeof callback === 'function') {
      const traced: SubscribeOptions = {
        ...subscribeOptions,
        callback: (error, message) => {
          if (error !== null && error !== undefined) return callback(error, message)
          return process(message, () => callback(error, message))
        },
      }
      return subscribe.call(this, subject, traced)
    }
    const subscription = subscribe.call(this, subject, subscribeOptions)
    tracedIteration(subscription, process)
    return subscription
  }
  return nc
}

/** `for await` over a subscription: each message's span lasts until the loop asks for the next. */
function tracedIteration(
  subscription: AsyncIterable<NatsMessage>,
  process: (message: NatsMessage, handler: () => Promise<void>) => Promise<void>,
): void {
  const iterate = subscription[Symbol.asyncIterator].bind(subscription)
  subscription[Symbol.asyncIterator] = () => {
    const iterator = iterate()
    let release: (() => void) | undefined
    const done = () => {
      release?.()
      release = undefined
    }
    return {
      async next() {
        done()
        const result = await iterator.next()
        if (!result.done) {
          void process(result.value, () => new Promise<void>((resolve) => (release = resolve)))
        }
        return result
      },
      async return(value?: unknown) {
        done()
        return (await iterator.return?.(value)) ?? { done: true, value: undefined }
      },
      [Symbol.asyncIterator]() {
        return this
      },
    } as AsyncIterator<NatsMessage>
  }
}

function sendAttributes(
  telemetry: MessagingTelemetry,
  operation: string,
  subject: string,
  payload: unknown,
): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
    [ATTR_MESSAGING_DESTINATION_NAME]: subject,
  }
  if (telemetry.destinations.isTemporary(subject)) attributes[ATTR_MESSAGING_DESTINATION_TEMPORARY] = true
  const size = (payload as { length?: unknown } | undefined)?.length
  if (typeof size === 'number') attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size
  return attributes
}

function processAttributes(
  telemetry: MessagingTelemetry,
  subscribed: string,
  message: NatsMessage,
  queue: string | undefined,
): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: OPERATION_PROCESS,
    [ATTR_MESSAGING_DESTINATION_NAME]: message.subject,
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: message.data.length,
  }
  if (queue !== undefined) attributes[ATTR_MESSAGING_CONSUMER_GROUP_NAME] = queue
  if (telemetry.destinations.isTemporary(subscribed)) attributes[ATTR_MESSAGING_DESTINATION_TEMPORARY] = true
  return attributes
}

/** The message's NATS headers as text, names lowercased (NATS keeps the sender's case). */
function carrierOf(headers: NatsHeaders | undefined): Carrier {
  const carrier: Carrier = {}
  if (headers === undefined) return carrier
  for (const name of headers.keys()) carrier[name.toLowerCase()] = headers.get(name)
  return carrier
}
