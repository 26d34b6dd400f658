/**
 * @module doctor-api/schemas
 * JSON schemas of every request: Fastify validates (and coerces) before a handler runs.
 */

/** Postgres text cannot hold U+0000; the database would refuse the row with a 500. */
export const NO_NUL = '^[^\\u0000]*$'

const id = { type: 'integer', minimum: 1, maximum: 2147483647 } as const
const text = { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL } as const

export const idParams = { type: 'object', required: ['id'], properties: { id } } as const

export const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    offset: { type: 'integer', minimum: 0, maximum: 1000000, default: 0 },
  },
} as const

export const appointmentQuery = {
  type: 'object',
  properties: { ...pageQuery.properties, patient_id: id },
} as const

export const patientBody = {
  type: 'object',
  required: ['name', 'email', 'date_of_birth'],
  additionalProperties: false,
  properties: {
    name: text,
    email: { type: 'string', format: 'email', maxLength: 254 },
    date_of_birth: { type: 'string', format: 'date' },
  },
} as const

export const appointmentBody = {
  type: 'object',
  required: ['patient_id', 'doctor', 'starts_at'],
  additionalProperties: false,
  properties: { patient_id: id, doctor: text, starts_at: { type: 'string', format: 'date-time' } },
} as const

export const signupBody = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    password: { type: 'string', minLength: 8, maxLength: 200 },
    source: { type: 'string', minLength: 1, maxLength: 50, pattern: NO_NUL },
  },
} as const

export const paymentBody = {
  type: 'object',
  required: ['appointment_id', 'amount_cents'],
  additionalProperties: false,
  properties: { appointment_id: id, amount_cents: { type: 'integer', minimum: 1, maximum: 100000000 } },
} as const
