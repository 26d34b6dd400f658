/**
 * @module test/doctor-api/booking
 * A booking made the way a client makes one, over HTTP: a patient, then an appointment for them.
 */

/** POSTs JSON to `base` + `path`. */
export function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** Registers a patient and books them an appointment, with `headers` on the booking; resolves with its response. */
export async function bookAppointment(
  base: string,
  headers: Record<string, string>,
  patient = { name: 'Ada', email: 'ada@example.com', date_of_birth: '1990-01-01' },
): Promise<Response> {
  const { id } = (await (await postJson(base, '/api/patients', patient)).json()) as { id: number }
  return postJson(
    base,
    '/api/appointments',
    { patient_id: id, doctor: 'Dr. Watson', starts_at: '2026-12-01T09:30:00Z' },
    headers,
  )
}
