import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { test } from 'node:test'
import type { Logger } from 'pino'
import { RequestContext } from '../pipeline/context.js'
import { RouteTable } from '../pipeline/routes.js'
import { AccessLog, serializeError } from './access-log.js'

test('an ordinary error keeps type, message, code and stack', () => {
  const error = Object.assign(new Error('kaboom'), { code: 'E_BOOM' })
  const out = serializeError(error)
  assert.equal(out.message, 'kaboom')
  assert.equal(out.code, 'E_BOOM')
  assert.equal(typeof out.stack, 'string')
})

test('a database error keeps only its type and SQLSTATE, never the message that may quote a value', () => {
  const error = Object.assign(new Error('date/time field value out of range: "1815-12-10"'), {
    name: 'DatabaseError',
    code: '22008',
    severity: 'ERROR',
  })
  assert.deepEqual(serializeError(error), { type: 'DatabaseError', code: '22008' })
})

test('the access line is one JSON object with its fields in a fixed order, whatever the request', () => {
  const lines: string[] = []
  const log = new AccessLog({
    logger: { levelVal: 30 } as Logger,
    stream: { write: (line: string) => lines.push(line) },
    service: 'svc "quoted"',
    logQuery: false,
    viaLogger: false,
  })
  const routes = new RouteTable()
  const context = (url: string, headers: Record<string, string>, responseBytes?: string) => {
    const req = { url, method: 'GET', headers } as unknown as IncomingMessage
    const res = { getHeader: (name: string) => (name === 'content-length' ? responseBytes : undefined) }
    return new RequestContext('req-1', req, res as unknown as ServerResponse, 0)
  }
  const plain = context('/users/42?email=a@b.c', {})
  log.write({
    context: plain,
    route: routes.get('/users/:id'),
    method: 0,
    status: 200,
    durationMs: 1.5,
    aborted: false,
  })
  const traced = context('/a"b', { 'content-length': '12' }, '34')
  traced.traceId = '0af7651916cd43dd8448eb211c80319c'
  traced.spanId = 'b7ad6b7169203331'
  traced.traceFlags = '01'
  traced.error = new TypeError('bad')
  log.write({ context: traced, route: routes.get('/a"b'), method: 3, status: 503, durationMs: 0, aborted: true })
  const missing = context('/nowhere', {})
  missing.responseBytes = 9
  log.write({ context: missing, route: routes.unmatched, method: 0, status: 404, durationMs: 2000.25, aborted: false })
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
      log.write({ context, route, method: 0, status: 200, durationMs: 1, aborted: false })
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
