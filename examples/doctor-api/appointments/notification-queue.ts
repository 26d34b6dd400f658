/**
 * @module doctor-api/appointments/notification-queue
 * Appointment notifications through RabbitMQ (when AMQP_URL is set; the HTTP call to the
 * notifier is the default). The connection is instrumented by `sightline/amqplib`: each
 * notification is a PRODUCER span under the booking's `send_notification` span, and its headers
 * carry the booking's trace context, baggage and request id to the notifier, so one booking is
 * one trace through the broker. A confirm channel: a notification counts as sent once the broker
 * has it, and a broker that is gone fails the notification (logged), never the booking.
 */
import amqplib from 'amqplib'
import type { Sightline } from 'sightline'
import { instrumentAmqplib } from 'sightline/amqplib'

/** Longest wait for the broker's confirmation: a booking never hangs on it. */
const CONFIRM_TIMEOUT_MS = 2000

export interface NotificationQueue {
  /** Resolves once the broker has confirmed the notification. */
  publish(appointmentId: number): Promise<void>
  close(): Promise<void>
}

export async function openNotificationQueue(
  sightline: Sightline,
  url: string,
  queue: string,
): Promise<NotificationQueue> {
  const connection = instrumentAmqplib(await amqplib.connect(url), { sightline })
  let open = true
  // Without a listener, a connection error would be thrown as an uncaught 'error' event.
  connection.on('error', (error: Error) => sightline.logger.warn({ err: error }, 'broker connection failed'))
  connection.on('close', () => {
    open = false
  })
  const channel = await connection.createConfirmChannel()
  channel.on('error', (error: Error) => sightline.logger.warn({ err: error }, 'broker channel failed'))
  await channel.assertQueue(queue, { durable: true })
  // Not critical: bookings go on without notifications, as they do when the notifier is down.
  sightline.addCheck(
    'broker',
    () => {
      if (!open) throw new Error('the broker connection is closed')
    },
    { critical: false },
  )
  return {
    publish: (appointmentId) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the broker did not confirm in time')), CONFIRM_TIMEOUT_MS)
        const confirmed = (error: unknown) => {
          clearTimeout(timer)
          if (error === null || error === undefined) resolve()
          else reject(error instanceof Error ? error : new Error('the broker refused the notification'))
        }
        try {
          const body = Buffer.from(JSON.stringify({ appointment_id: appointmentId }))
          channel.sendToQueue(queue, body, { persistent: true, contentType: 'application/json' }, confirmed)
        } catch (error) {
          clearTimeout(timer)
          reject(error)
        }
      }),
    async close() {
      if (open) await connection.close()
    },
  }
}
