/**
 * @module doctor-api/storage/database
 * The database behind doctor-api: one small interface, so the same SQL runs on embedded PGlite
 * (the default: real Postgres SQL, nothing to install) and on a Postgres server.
 */

export interface Database {
  /** `db.system.name` in telemetry. */
  readonly system: 'postgresql'
  /** Where the data lives, for logs: never a connection string (it may hold a password). */
  readonly description: string
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>
  close(): Promise<void>
}

/** Opens embedded PGlite: in memory, or in `dataDir` when given. */
export async function openPglite(dataDir?: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir)
  await db.waitReady
  return {
    system: 'postgresql',
    description: dataDir === undefined ? 'pglite (in memory)' : `pglite (${dataDir})`,
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<Row>(text, params as unknown[])
      return result.rows
    },
    close: () => db.close(),
  }
}
