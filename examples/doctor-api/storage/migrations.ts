/**
 * @module doctor-api/storage/migrations
 * Schema migrations, applied in order at start and recorded, so a restart applies only new ones.
 */
import type { Database } from './database.js'

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE patients (
     id serial PRIMARY KEY,
     name text NOT NULL,
     email text NOT NULL,
     date_of_birth date NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE appointments (
     id serial PRIMARY KEY,
     patient_id integer NOT NULL REFERENCES patients (id),
     doctor text NOT NULL,
     starts_at timestamptz NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  'CREATE INDEX appointments_patient_id ON appointments (patient_id)',
  `CREATE TABLE users (
     id serial PRIMARY KEY,
     email text NOT NULL UNIQUE,
     password_hash text NOT NULL,
     source text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE payments (
     id serial PRIMARY KEY,
     appointment_id integer NOT NULL REFERENCES appointments (id),
     amount_cents integer NOT NULL,
     status text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
]

/** Applies the migrations not yet recorded; returns how many ran. */
export async function migrate(db: Database): Promise<number> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  )
  const done = new Set(
    (await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
  )
  let applied = 0
  for (let version = 1; version <= MIGRATIONS.length; version++) {
    if (done.has(version)) continue
    await db.query('BEGIN')
    try {
      await db.query(MIGRATIONS[version - 1] as string)
      await db.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version])
      await db.query('COMMIT')
    } catch (error) {
      await db.query('ROLLBACK')
      throw error
    }
    applied++
  }
  return applied
}
