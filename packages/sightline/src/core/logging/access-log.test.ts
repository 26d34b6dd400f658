import assert from 'node:assert/strict'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Logger } from 'pino'
import { RequestContext } from '../pipeline/context.js'
import { RouteTable } from '../pipeline/routes.js'
import { AccessLog, serializeError } from './access-log.js'
import { LineWriter } from './line-writer.js'

test('an ordinary error keeps type, message, code and stack', () => {
  const error = Object.assign(new Error('kaboom'), { code: 'E_BOOM' })
  const out = serializeError(error)
  assert.equal(out.message, 'kaboom')
  assert.equal(out.code, 'E_BOOM')
  assert.equal(typeof out.stack, 'string')
})

test('a database error keeps its type and SQLSTATE, never the message that may quote a value', () => {
  const error = Object.assign(new Error('date/time field value out of range: "1815-12-10"'), {
    name: 'DatabaseError',
    code: '22008',
    severity: 'ERROR',
  })
  assert.deepEqual(serializeError(error), {
    type: 'DatabaseError',
    message: 'database error SQLSTATE 22008',
    code: '22008',
  })
})

test("mysql2's errors too: SQLSTATE and MySQL's code, never the message that quotes the value", () => {
  const error = Object.assign(new Error("Duplicate entry 'ada@example.com' for key 'email'"), {
    code: 'ER_DUP_ENTRY',
    errno: 1062,
    sqlState: '23000',
    sqlMessage: "Duplicate entry 'ada@example.com' for key 'email'",
  })
  const serialized = serializeError(error, 500)
  assert.deepEqual(serialized, { type: 'Error', message: 'database error SQLSTATE 23000 ER_DUP_ENTRY', code: '23000' })
  assert.ok(!JSON.stringify(serialized).includes('ada@example.com'))
})

test("pg's server errors, all named `error`, are typed by their class; the schema names they give are kept", () => {
  class DatabaseError extends Error {}
  const error = Object.assign(
    new DatabaseError('duplicate key value violates unique constraint "patients_email_key"'),
    {
      name: 'error',
      code: '23505',
      severity: 'ERROR',
      table: 'patients',
      constraint: 'patients_email_key',
      detail: 'Key (email)=(ada@example.com) already exists.',
    },
  )
  const out = serializeError(error, 500)
  assert.equal(out.type, 'DatabaseError')
  assert.equal(out.message, 'database error SQLSTATE 23505 table patients constraint patients_email_key')
  assert.equal(JSON.stringify(out).includes('ada@example.com'), false)
})

type Destination = 'a stream' | "Sightline's line writer"
const DESTINATIONS: Destination[] = ['a stream', "Sightline's line writer"]

/**
 * The lines `write` produces through an AccessLog writing to `destination`: a stream, or a
 * LineWriter (the default stdout path, batching lines into one write), read back from a file.
 */
async function linesThrough(
  destination: Destination,
  options: { service: string; logQuery: boolean },
  write: (log: AccessLog) => void,
): Promise<string[]> {
  const common = { logger: { levelVal: 30 } as Logger, viaLogger: false, ...options }
  if (destination === 'a stream') {
    const lines: string[] = []
    write(new AccessLog({ ...common, stream: { write: (line: string) => lines.push(line) } }))
    return lines
  }
  const dir = mkdtempSync(join(tmpdir(), 'access-log-'))
  const fd = openSync(join(dir, 'out.log'), 'w')
  try {
    const writer = new LineWriter({ fd, sync: true, batchChars: 16000, flushMs: 100, maxBufferedChars: 1 << 20 })
    write(new AccessLog({ ...common, stream: writer }))
    await writer.flush()
    return readFileSync(join(dir, 'out.log'), 'utf8')
      .split(/(?<=\n)/)
      .filter((line) => line !== '')
  } finally {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
}

for (const destination of DESTINATIONS) {
  test(`the access line is one JSON object with its fields in a fixed order, whatever the request (${destination})`, async () => {
    const routes = new RouteTable()
    const context = (url: string, headers: Record<string, string>, responseBytes?: string) => {
      const req = { url, method: 'GET', headers } as unknown as IncomingMessage
      const res = { getHeader: (name: string) => (name === 'content-length' ? responseBytes : undefined) }
      return new RequestContext('req-1', req, res as unknown as ServerResponse, 0)
    }
    const lines = await linesThrough(destination, { service: 'svc "quoted"', logQuery: false }, (log) => {
      const plain = context('/users/42?email=a@b.c', {})
      log.write(plain, routes.get('/users/:id'), 0, 200, 1.5, false)
      const traced = context('/a"b', { 'content-length': '12' }, '34')
      traced.traceId = '0af7651916cd43dd8448eb211c80319c'
      traced.spanId = 'b7ad6b7169203331'
      traced.traceFlags = '01'
      traced.error = new TypeError('bad')
      log.write(traced, routes.get('/a"b'), 3, 503, 0, true)
      const missing = context('/nowhere', {})
      missing.responseBytes = 9
      log.write(missing, routes.unmatched, 0, 404, 2000.25, false)
    })
    assert.equal(lines.length, 3)
    for (const line of lines) assert.ok(line.endsWith('}\n'))
    const [first, second, third] = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const keys = (names: string) => names.split(' ')
    assert.deepEqual(
      Object.keys(first ?? {}),
      keys('level time service request_id method route path status duration_ms msg'),
    )
    assert.equal(first?.service, 'svc "quoted"')
    assert.equal(first?.path, '/users/42')
    assert.equal(first?.duration_ms, 1.5)
    assert.equal(typeof first?.time, 'number')
    assert.deepEqual(
      Object.keys(second ?? {}),
      keys(
        'level time service request_id trace_id span_id trace_flags method route path status duration_ms req_bytes res_bytes aborted err msg',
      ),
    )
    assert.equal(second?.level, 'error')
    assert.equal(second?.route, '/a"b')
    assert.equal(second?.path, '/a"b')
    assert.equal(second?.trace_flags, '01')
    assert.equal(second?.req_bytes, 12)
    assert.equal(second?.res_bytes, 34)
    assert.equal((second?.err as { type?: string } | undefined)?.type, 'TypeError')
    assert.equal(third?.level, 'warn')
    assert.equal(third?.route, 'unmatched')
    assert.equal(third?.status, 404)
    assert.equal(third?.duration_ms, 2000.25)
    assert.equal(third?.res_bytes, 9, 'a content-length given to writeHead in an object')
  })
}

test('through the line writer the file gets the same characters as a stream, line for line', async () => {
  const write = (log: AccessLog) => {
    const routes = new RouteTable()
    for (const [i, url] of ['/users/1', '/q?x=1', '/a"b\n', '/é'].entries()) {
      const req = {
        url,
        method: 'GET',
        headers: i === 1 ? { 'content-length': '7' } : {},
      } as unknown as IncomingMessage
      const res = { getHeader: () => (i === 2 ? '11' : undefined) } as unknown as ServerResponse
      const context = new RequestContext(`req-${i}`, req, res, 0)
      if (i === 3) {
        context.traceId = '0af7651916cd43dd8448eb211c80319c'
        context.spanId = 'b7ad6b7169203331'
        context.traceFlags = '01'
      }
      const status = [200, 404, 500, 201][i] as number
      log.write(context, routes.get('/r/:i'), i, status, i * 1.25, i === 2)
    }
  }
  // The time field is the millisecond each line was written in.
  const untimed = (lines: string[]) => lines.map((line) => line.replace(/"time":\d+/, '"time":0'))
  const [streamed, queued] = await Promise.all(
    DESTINATIONS.map(async (destination) =>
      untimed(await linesThrough(destination, { service: 's', logQuery: false }, write)),
    ),
  )
  assert.equal(queued?.length, 4)
  assert.deepEqual(queued, streamed)
})

test('the path is escaped, cut at its query string unless logQuery, and bounded', () => {
  const pathsOf = (logQuery: boolean, urls: string[]) => {
    const lines: string[] = []
    const log = new AccessLog({
      logger: { levelVal: 30 } as Logger,
      stream: { write: (line: string) => lines.push(line) },
      service: 'svc',
      logQuery,
      viaLogger: false,
    })
    const route = new RouteTable().get('/r')
    for (const url of urls) {
      const req = { url, method: 'GET', headers: {} } as unknown as IncomingMessage
      const res = { getHeader: () => undefined } as unknown as ServerResponse
      const context = new RequestContext('req-1', req, res, 0)
      log.write(context, route, 0, 200, 1, false)
    }
    return lines.map((line) => (JSON.parse(line) as { path: string }).path)
  }
  const long = `/${'x'.repeat(2000)}`
  const urls = ['/plain', '/q?a="1"\n', '/a"b?c=d', '/tab\there', '/é?x', '/\u2028', `${long}?q`, '?only']
  assert.deepEqual(pathsOf(false, urls), [
    '/plain',
    '/q',
    '/a"b',
    '/tab\there',
    '/é',
    '/\u2028',
    `${long.slice(0, 1024)}…`,
    '',
  ])
  assert.deepEqual(pathsOf(true, urls.slice(0, 3)), ['/plain', '/q?a="1"\n', '/a"b?c=d'])
})
