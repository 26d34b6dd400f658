/**
 * doctor-api's repository on real PGlite: a value Postgres refuses is the client's mistake (a 400),
 * and the error that reaches the access line names no patient value.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HttpError } from '@sightline/doctor-api/errors.js'
import { MemoryCache } from '@sightline/doctor-api/storage/cache.js'
import { openPglite } from '@sightline/doctor-api/storage/database.js'
import { migrate } from '@sightline/doctor-api/storage/migrations.js'
import { Repository } from '@sightline/doctor-api/storage/repository.js'
import pino from 'pino'

test('a Postgres data exception becomes a 400 that does not echo the value', async () => {
  const db = await openPglite()
  try {
    await migrate(db)
    const repository = new Repository(db, new MemoryCache(), pino({ enabled: false }))
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      [
        'year 0',
        () => repository.createPatient({ name: 'Ada', email: 'ada@example.com', date_of_birth: '0000-01-01' }),
        '0000-01-01',
      ],
      [
        'NUL byte',
        () =>
          repository.createPatient({ name: 'Secret\u0000Name', email: 'ada@example.com', date_of_birth: '1990-01-01' }),
        'Secret',
      ],
    ]
    for (const [name, run, value] of cases) {
      const error = await run().then(
        () => assert.fail(`${name}: the insert succeeded`),
        (e: unknown) => e,
      )
      assert.ok(error instanceof HttpError, `${name}: ${String(error)}`)
      assert.equal(error.statusCode, 400, name)
      assert.match(error.details?.join(' ') ?? '', /SQLSTATE 22/, name)
      assert.equal(JSON.stringify({ message: error.message, details: error.details }).includes(value), false, name)
    }
    // Anything else still propagates as it was: a missing table is the server's fault.
    await assert.rejects(db.query('SELECT * FROM no_such_table'), (e: { code?: string }) => e.code === '42P01')
  } finally {
    await db.close()
  }
})
