/**
 * @module doctor-api/storage/repository
 * Every query doctor-api runs, in one place; patient reads go through the cache. A cache failure
 * never fails a read: the database answers instead. While the cache's circuit is open (it stopped
 * answering: sightline/cache fails its calls fast), a failed call is not logged — Sightline logged
 * the circuit opening — and other cache failures are logged at most once a minute.
 */
import type { Logger } from 'pino'
import { ERROR_CODES } from 'sightline'
import { HttpError } from '../errors.js'
import type { Cache } from './cache.js'
import type { Database } from './database.js'

export interface Patient {
  id: number
  name: string
  email: string
  date_of_birth: string
  created_at: string
}

export interface Appointment {
  id: number
  patient_id: number
  doctor: string
  starts_at: string
  created_at: string
}

export interface Page<T> {
  items: T[]
  limit: number
  offset: number
  total: number
  next_offset: number | null
}

const PATIENT_TTL_SECONDS = 60
/** SQLSTATE class 22, "data exception": https://www.postgresql.org/docs/current/errcodes-appendix.html */
const DATA_EXCEPTION_CLASS = '22'
const PATIENT_COLUMNS = "id, name, email, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth, created_at"
const APPOINTMENT_COLUMNS = 'id, patient_id, doctor, starts_at, created_at'

/** A cache failure is logged at most this often; cache_operation_duration_seconds counts every one. */
const CACHE_FAILURE_LOG_INTERVAL_MS = 60_000

export class Repository {
  private readonly db: Database
  private readonly cache: Cache
  private readonly logger: Logger
  private cacheFailureLoggedAt = Number.NEGATIVE_INFINITY
  private cacheFailuresUntold = 0

  constructor(db: Database, cache: Cache, logger: Logger) {
    this.db = db
    this.cache = cache
    this.logger = logger
  }

  private cacheFailed(error: unknown, msg: string): void {
    if ((error as { code?: unknown }).code === ERROR_CODES.SIGHTLINE_ERR_CIRCUIT_OPEN) return
    const now = Date.now()
    if (now - this.cacheFailureLoggedAt < CACHE_FAILURE_LOG_INTERVAL_MS) {
      this.cacheFailuresUntold++
      return
    }
    this.logger.warn({ err: error, untold: this.cacheFailuresUntold }, msg)
    this.cacheFailureLoggedAt = now
    this.cacheFailuresUntold = 0
  }

  /**
   * Every query goes through here. A Postgres data exception (SQLSTATE class 22: a value out of
   * range, a byte sequence it cannot store) is the client's value, not a server fault: it becomes a
   * 400 whose text names no value, because the driver's text echoes it (a date of birth, a name)
   * and the access line records the error it is given.
   */
  private async query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    try {
      return await this.db.query<Row>(text, params)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (typeof code === 'string' && code.startsWith(DATA_EXCEPTION_CLASS)) {
        throw new HttpError(400, 'invalid request', [`a value cannot be stored (SQLSTATE ${code})`])
      }
      throw error
    }
  }

  async createPatient(input: { name: string; email: string; date_of_birth: string }): Promise<Patient> {
    const [row] = await this.query<Patient>(
      `INSERT INTO patients (name, email, date_of_birth) VALUES ($1, $2, $3) RETURNING ${PATIENT_COLUMNS}`,
      [input.name, input.email, input.date_of_birth],
    )
    return row as Patient
  }

  async getPatient(id: number): Promise<Patient | undefined> {
    const key = `patient:${id}`
    try {
      const cached = await this.cache.get(key)
      if (cached !== undefined) return JSON.parse(cached) as Patient
    } catch (error) {
      this.cacheFailed(error, 'cache read failed, reading from the database')
    }
    const [row] = await this.query<Patient>(`SELECT ${PATIENT_COLUMNS} FROM patients WHERE id = $1`, [id])
    if (row !== undefined) {
      this.cache.set(key, JSON.stringify(row), PATIENT_TTL_SECONDS).catch((error: unknown) => {
        this.cacheFailed(error, 'cache write failed')
      })
    }
    return row
  }

  async listPatients(limit: number, offset: number): Promise<Page<Patient>> {
    const [items, count] = await Promise.all([
      this.query<Patient>(`SELECT ${PATIENT_COLUMNS} FROM patients ORDER BY id LIMIT $1 OFFSET $2`, [limit, offset]),
      this.query<{ total: number }>('SELECT count(*)::int AS total FROM patients'),
    ])
    return page(items, limit, offset, count[0]?.total ?? 0)
  }

  async createAppointment(input: { patient_id: number; doctor: string; starts_at: string }): Promise<Appointment> {
    const [row] = await this.query<Appointment>(
      `INSERT INTO appointments (patient_id, doctor, starts_at) VALUES ($1, $2, $3) RETURNING ${APPOINTMENT_COLUMNS}`,
      [input.patient_id, input.doctor, input.starts_at],
    )
    return row as Appointment
  }

  async appointmentExists(id: number): Promise<boolean> {
    return (await this.query('SELECT 1 FROM appointments WHERE id = $1', [id])).length > 0
  }

  async listAppointments(patientId: number | undefined, limit: number, offset: number): Promise<Page<Appointment>> {
    const where = patientId === undefined ? '' : 'WHERE patient_id = $3'
    const params = patientId === undefined ? [limit, offset] : [limit, offset, patientId]
    const [items, count] = await Promise.all([
      this.query<Appointment>(
        `SELECT ${APPOINTMENT_COLUMNS} FROM appointments ${where} ORDER BY id LIMIT $1 OFFSET $2`,
        params,
      ),
      this.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM appointments ${patientId === undefined ? '' : 'WHERE patient_id = $1'}`,
        patientId === undefined ? [] : [patientId],
      ),
    ])
    return page(items, limit, offset, count[0]?.total ?? 0)
  }

  /** Returns the new user's id, or undefined when the email is taken. */
  async createUser(email: string, passwordHash: string, source: string): Promise<number | undefined> {
    const rows = await this.query<{ id: number }>(
      'INSERT INTO users (email, password_hash, source) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING id',
      [email, passwordHash, source],
    )
    return rows[0]?.id
  }

  async createPayment(appointmentId: number, amountCents: number): Promise<{ id: number; status: string }> {
    const [row] = await this.query<{ id: number; status: string }>(
      "INSERT INTO payments (appointment_id, amount_cents, status) VALUES ($1, $2, 'succeeded') RETURNING id, status",
      [appointmentId, amountCents],
    )
    return row as { id: number; status: string }
  }
}

function page<T>(items: T[], limit: number, offset: number, total: number): Page<T> {
  return { items, limit, offset, total, next_offset: offset + items.length < total ? offset + items.length : null }
}
