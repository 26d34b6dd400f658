/**
 * @module test/data-layer/databases
 * A throw-away database on the real Postgres server per test file, and the real Redis and MySQL URLs.
 * A server that is not there fails the test: there is no skip.
 */
import pg from 'pg'

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** MariaDB (or MySQL): a test makes its own uniquely named tables in this database and drops them. */
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sightline_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    },
  }
}

/** The same URL, through a proxy on 127.0.0.1:port. */
export function viaProxy(url: string, port: number): string {
  const out = new URL(url)
  out.hostname = '127.0.0.1'
  out.port = String(port)
  return out.toString()
}
