/**
 * @module notifier/queue
 * Appointment notifications from RabbitMQ (when AMQP_URL is set), alongside `POST /notify`. The
 * channel is instrumented by `sightline/amqplib`: each message is a CONSUMER span, child of
 * doctor-api's PRODUCER span, and its handler runs in the message's context, so `deliver_email`
 * and the `notification sent` line carry the booking's trace id and request id. A message that
 * names no appointment is rejected without requeue (it would fail again); a failed delivery is
 * requeued once, then dropped, each told in a line.
 */
import amqplib, { type ConsumeMessage } from 'amqplib'
import type { Sightline } from 'sightline'
import { instrumentAmqplib } from 'sightline/amqplib'
import { deliverNotification, isAppointmentId } from './deliver.js'

/** The queue doctor-api publishes to unless AMQP_QUEUE says otherwise. */
export const DEFAULT_QUEUE = 'appointment-notifications'
/** Notifications handled at once: the broker holds the rest. */
const PREFETCH = 16

export interface NotificationConsumer {
  close(): Promise<void>
}

export async function consumeNotifications(
  sightline: Sightline,
  url: string,
  queue: string = DEFAULT_QUEUE,
): Promise<NotificationConsumer> {
  const connection = await amqplib.connect(url)
  connection.on('error', (error: Error) => sightline.logger.warn({ err: error }, 'broker connection failed'))
  let open = true
  connection.on('close', () => {
    open = false
  })
  const channel = instrumentAmqplib(await connection.createChannel(), { sightline })
  channel.on('error', (error: Error) => sightline.logger.warn({ err: error }, 'broker channel failed'))
  await channel.assertQueue(queue, { durable: true })
  await channel.prefetch(PREFETCH)
  sightline.addCheck(
    'broker',
    () => {
      if (!open) throw new Error('the broker connection is closed')
    },
    { critical: false },
  )
  const handle = async (message: ConsumeMessage) => {
    const appointmentId = appointmentIdOf(message.content)
    if (appointmentId === undefined) {
      sightline.logger.warn({ queue }, 'notification rejected: no appointment_id')
      channel.reject(message, false)
      return
    }
    try {
      await deliverNotification(sightline, appointmentId, 'amqp')
      channel.ack(message)
    } catch (error) {
      const again = !message.fields.redelivered
      sightline.logger.warn({ err: error, appointment_id: appointmentId, requeued: again }, 'notification failed')
      channel.nack(message, false, again)
    }
  }
  // The handler's promise is returned (amqplib ignores it) so the message's span lasts until it settles.
  await channel.consume(queue, (message) => (message === null ? undefined : handle(message)))
  return {
    async close() {
      if (open) await connection.close()
    },
  }
}

/** The appointment a message names, or undefined for a body that is not `{"appointment_id": n}`. */
function appointmentIdOf(content: Buffer): number | undefined {
  if (content.length > 16 * 1024) return undefined
  try {
    const id = (JSON.parse(content.toString('utf8')) as { appointment_id?: unknown } | null)?.appointment_id
    return isAppointmentId(id) ? id : undefined
  } catch {
    return undefined
  }
}
