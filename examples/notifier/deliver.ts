/**
 * @module notifier/deliver
 * Delivering one appointment's notification, however it arrived (`POST /notify`, or RabbitMQ's
 * queue when AMQP_URL is set): a `deliver_email` span and the `notification sent` line, both in
 * the booking's trace and carrying its request id.
 */
import type { Sightline } from 'sightline'
import { currentBaggage, withSpan } from 'sightline/tracing'

export type Channel = 'http' | 'amqp'

/** True for an id a notification may name. */
export function isAppointmentId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1
}

export async function deliverNotification(sightline: Sightline, appointmentId: number, via: Channel): Promise<void> {
  await withSpan('deliver_email', async (span) => {
    span.setAttribute('appointment.id', appointmentId)
    // W3C baggage set by the caller's caller travels with the trace: a tenant id chosen at the
    // edge is on this span without doctor-api passing it on by hand (an allow-listed key, never
    // the whole baggage: it is caller-controlled text).
    const tenant = currentBaggage()?.getEntry('tenant')?.value
    if (tenant !== undefined && tenant.length <= 64) span.setAttribute('app.tenant', tenant)
    // Stands in for the mail provider's API.
    await new Promise((resolve) => setTimeout(resolve, 3))
  })
  sightline.logger.info({ appointment_id: appointmentId, via }, 'notification sent')
}
