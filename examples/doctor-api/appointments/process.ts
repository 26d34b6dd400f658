/**
 * @module doctor-api/appointments/process
 * What happens after an appointment is booked (the brief's `process_appointment`): notify the
 * patient through the notifier service and sync the doctor's calendar, each in its own span. Neither
 * may fail the booking: a failure is logged and recorded on its span.
 */
import { withSpan } from 'sightline/tracing'
import type { Deps } from '../deps.js'
import type { Appointment } from '../storage/repository.js'

/** Longest wait for the notifier: a booking never hangs on it. */
const NOTIFY_TIMEOUT_MS = 2000

export async function processAppointment(appointment: Appointment, deps: Deps): Promise<void> {
  const { logger } = deps
  await withSpan('process_appointment', async (span) => {
    span.setAttribute('appointment.id', appointment.id)
    await withSpan('send_notification', () => sendNotification(appointment, deps)).catch((error: unknown) => {
      logger.warn({ err: error, appointment_id: appointment.id }, 'notification failed')
    })
    await withSpan('sync_calendar', () => syncCalendar(appointment)).catch((error: unknown) => {
      logger.warn({ err: error, appointment_id: appointment.id }, 'calendar sync failed')
    })
  })
}

/**
 * Queues the notification on RabbitMQ when configured, else calls the notifier. Either way its
 * traceparent, baggage and X-Request-ID are added by Sightline (sightline/amqplib, or outgoing
 * HTTP propagation).
 */
async function sendNotification(appointment: Appointment, { notifierUrl, notifications }: Deps): Promise<void> {
  if (notifications !== undefined) return notifications.publish(appointment.id)
  if (notifierUrl === undefined) return
  const response = await fetch(`${notifierUrl}/notify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appointment_id: appointment.id }),
    signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
  })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`notifier answered ${response.status}`)
}

/** Stands in for the calendar provider's API: a short wait, as a remote call would take. */
async function syncCalendar(_appointment: Appointment): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2))
}
