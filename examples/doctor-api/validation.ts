/**
 * @module doctor-api/validation
 * Checks JSON Schema cannot express: dates inside the range the service accepts. Postgres has no
 * year 0 and an appointment in the year 10000 is a client mistake, not a row: both are 400s here,
 * before the database sees them (its error text would echo the value into the access log).
 */

/** Earliest date of birth accepted; a patient born before it is a typing mistake. */
export const EARLIEST_BIRTH = '1800-01-01'
/** Appointments are booked in this window (UTC, end exclusive). */
export const EARLIEST_APPOINTMENT = '2000-01-01T00:00:00Z'
export const LATEST_APPOINTMENT = '2100-01-01T00:00:00Z'

const EARLIEST_BIRTH_MS = Date.parse(EARLIEST_BIRTH)
const EARLIEST_APPOINTMENT_MS = Date.parse(EARLIEST_APPOINTMENT)
const LATEST_APPOINTMENT_MS = Date.parse(LATEST_APPOINTMENT)

/**
 * Returns what is wrong with a schema-valid `YYYY-MM-DD` date of birth, or undefined.
 * @example
 * checkBirthDate('2999-01-01') // 'body.date_of_birth must not be in the future'
 */
export function checkBirthDate(value: string, now = Date.now()): string | undefined {
  const ms = Date.parse(value)
  if (ms > now) return 'body.date_of_birth must not be in the future'
  if (!(ms >= EARLIEST_BIRTH_MS)) return `body.date_of_birth must not be before ${EARLIEST_BIRTH}`
  return undefined
}

/**
 * Returns what is wrong with a schema-valid RFC 3339 `starts_at`, or undefined.
 * @example
 * checkAppointmentTime('0000-01-01T00:00:00Z') // 'body.starts_at must be from 2000-01-01T00:00:00Z …'
 */
export function checkAppointmentTime(value: string): string | undefined {
  const ms = epochMillisOf(value)
  if (Number.isNaN(ms)) return 'body.starts_at must be a valid RFC 3339 date-time'
  if (ms >= EARLIEST_APPOINTMENT_MS && ms < LATEST_APPOINTMENT_MS) return undefined
  return `body.starts_at must be from ${EARLIEST_APPOINTMENT} and before ${LATEST_APPOINTMENT}`
}

/** Seconds `60` of an RFC 3339 time, before its offset: a leap second. */
const LEAP_SECOND = /:60(\.\d+)?(?=([Zz]|[+-]\d\d:\d\d)$)/

/**
 * Milliseconds since the epoch of an RFC 3339 date-time, NaN when it is none. RFC 3339 allows a
 * leap second (`23:59:60Z`), which JavaScript's `Date` does not parse; Postgres stores it as the
 * next second, and so it is read here.
 */
function epochMillisOf(value: string): number {
  const ms = Date.parse(value)
  if (!Number.isNaN(ms) || !LEAP_SECOND.test(value)) return ms
  return Date.parse(value.replace(LEAP_SECOND, ':59$1')) + 1000
}
