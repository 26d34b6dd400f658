/**
 * @module test/doctor-api/harness
 * doctor-api built in-process on a real socket, with its logs captured and parsed.
 */

import { buildApp } from '@sightline/doctor-api/app.js'
import type { DemoFaults, Timeouts } from '@sightline/doctor-api/config.js'
import { migrate } from '@sightline/doctor-api/storage/migrations.js'
import { openStorage, type StorageOptions } from '@sightline/doctor-api/storage/open.js'
import { createSightline, type Sightline } from 'sightline'
import { LogCapture } from '../helpers/logs.js'

export interface DoctorApi {
  url: string
  sightline: Sightline
  logs: LogCapture
  close(): Promise<void>
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
}

export async function startDoctorApi(
  demo?: DemoFaults,
  storage: StorageOptions = {},
  configure?: (sightline: Sightline) => Promise<unknown>,
  timeouts?: Timeouts,
): Promise<DoctorApi> {
  const logs = new LogCapture()
  const sightline = createSightline({
    service: 'doctor-api',
    logFormat: 'json',
    logDestination: logs,
    readyCacheMs: 0,
    shutdown: { signals: false },
  })
  await configure?.(sightline)
  const { db, cache } = await openStorage(sightline, storage)
  await migrate(db)
  const app = await buildApp({ sightline, db, cache, demo, timeouts })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  return {
    url,
    sightline,
    logs,
    post: (path, body, headers = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await app.close()
      await cache.close()
      await db.close()
      await sightline.close()
    },
  }
}
