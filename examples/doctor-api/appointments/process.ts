/**
 * @module doctor-api/appointments/process
 * What happens after an appointment is booked (the brief's `process_appointment`): notify the
 * patient and sync the doctor's calendar. Neither may fail the booking.
 */
import type { Deps } from '../deps.js'
import type { Appointment } from '../storage/repository.js'

export async function processAppointment(appointment: Appointment, { logger }: Deps): Promise<void> {
  await sendNotification(appointment).catch((error: unknown) => {
    logger.warn({ err: error, appointment_id: appointment.id }, 'notification failed')
  })
  await syncCalendar(appointment).catch((error: unknown) => {
    logger.warn({ err: error, appointment_id: appointment.id }, 'calendar sync failed')
  })
}

/** Tells the patient; the notifier service takes this over when it runs (see docs/doctor-api.md). */
async function sendNotification(_appointment: Appointment): Promise<void> {}

/** Stands in for the calendar provider's API: a short wait, as a remote call would take. */
async function syncCalendar(_appointment: Appointment): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2))
}
