/**
 * @module viewer/errors.test
 * Error groups: Sightline's fingerprint groups errors whatever their message; one error seen on
 * a span and on its access (or fatal) line counts once; errors without Sightline's attributes
 * group by type and top frame; the group count is capped and evictions counted.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorGroups, topFrame } from './errors.js'
import type { Attributes, ViewerLog, ViewerSpan } from './model.js'

const NOW = Date.UTC(2026, 0, 1, 12, 0, 30)
const STACK = [
  'Error: payment 1 declined',
  '    at Object.handler (/srv/app/node_modules/fastify/lib/x.js:1:1)',
  '    at pay (/srv/app/src/routes/payments.ts:42:11)',
].join('\n')

function server(i: number, events: Attributes[] = [], status = 2): ViewerSpan {
  return {
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: 'GET /payments/:id',
    kind: 2,
    service: 'api',
    startMs: NOW,
    durationMs: 3,
    statusCode: status,
    statusMessage: '',
    attributes: {},
    events: events.map((attributes) => ({ timeMs: NOW + i, name: 'exception', attributes })),
    route: '/payments/:id',
    httpStatus: 500,
    requestId: '',
  }
}

function line(i: number, level: string, attributes: Attributes, withIds = true): ViewerLog {
  return {
    seq: i,
    timeMs: NOW + i,
    severityNumber: level === 'fatal' ? 21 : level === 'error' ? 17 : 9,
    level,
    body: level === 'fatal' ? 'uncaught exception' : 'request completed',
    service: 'api',
    traceId: withIds ? i.toString(16).padStart(32, '0') : '',
    spanId: withIds ? i.toString(16).padStart(16, '0') : '',
    requestId: `req-${i}`,
    attributes,
  }
}

const sightlineEvent = (i: number): Attributes => ({
  'exception.type': 'Error',
  'exception.message': `payment ${i} declined`,
  'exception.stacktrace': STACK,
  'sightline.error.fingerprint': 'aaaabbbbccccdddd',
  'code.file.path': 'src/routes/payments.ts',
  'code.line.number': 42,
})

test("one group for Sightline's fingerprint, whatever the message; span and access line count once", () => {
  const errors = new ErrorGroups({ errorGroupsEvicted: 0 })
  for (let i = 1; i <= 100; i++) {
    const access = line(i, 'error', {
      route: '/payments/:id',
      err: JSON.stringify({ type: 'Error', message: `payment ${i} declined`, fingerprint: 'aaaabbbbccccdddd' }),
    })
    // Either may arrive first.
    if (i % 2 === 0) {
      errors.addSpan(server(i, [sightlineEvent(i)]))
      errors.addLog(access)
    } else {
      errors.addLog(access)
      errors.addSpan(server(i, [sightlineEvent(i)]))
    }
  }
  const [group, ...others] = errors.list({}, NOW + 1000)
  assert.equal(others.length, 0)
  assert.ok(group)
  assert.equal(group.count, 100)
  assert.equal(group.frame, 'src/routes/payments.ts:42')
  assert.equal(group.route, '/payments/:id')
  assert.equal(group.message, 'payment 100 declined', 'the newest message')
  assert.equal(group.series.length, 60)
  assert.equal(group.series.at(-1), 100, 'all in the current minute')
  assert.equal(group.examples.length, 5)
  assert.equal(group.examples[0]?.requestId, 'req-100', 'the request id came from the access line')
  assert.match(group.examples[0]?.traceId ?? '', /^0+64$/)
})

test('without Sightline attributes: type and top frame from the stack trace; fatal lines group too', () => {
  const errors = new ErrorGroups({ errorGroupsEvicted: 0 })
  const plain = (i: number): Attributes => ({
    'exception.type': 'TypeError',
    'exception.message': `cannot read ${i}`,
    'exception.stacktrace': STACK.replace('Error', 'TypeError'),
  })
  errors.addSpan(server(1, [plain(1)]))
  errors.addSpan(server(2, [plain(2)]))
  errors.addSpan(server(3, [], 2))
  const err = JSON.stringify({ type: 'RangeError', message: 'boom', fingerprint: 'ffff000011112222', stack: 'x' })
  errors.addLog(line(4, 'fatal', { err, kind: 'uncaughtException' }, false))
  errors.addLog(line(5, 'info', { msg: 'fine' }))
  errors.addLog(line(6, 'error', { err: JSON.stringify({ type: 'Error', message: 'no fingerprint' }) }))
  const groups = errors.list({}, NOW)
  assert.deepEqual(
    groups.map((g) => [g.type, g.count, g.frame]),
    [
      ['RangeError', 1, ''],
      ['500', 1, ''],
      ['TypeError', 2, '/srv/app/src/routes/payments.ts:42'],
    ],
  )
})

test('a cut err field still gives its fingerprint, and the group cap evicts the least recently seen', () => {
  const counters = { errorGroupsEvicted: 0 }
  const errors = new ErrorGroups(counters, 3)
  const long = `{"type":"Error","message":"m","fingerprint":"0123456789abcdef","frame":"src/a.ts:1","stack":"${'x'.repeat(100)}`
  errors.addLog(line(1, 'fatal', { err: long }, false))
  assert.equal(errors.list()[0]?.frame, 'src/a.ts:1')
  for (let i = 2; i <= 5; i++) {
    errors.addLog(line(i, 'fatal', { err: JSON.stringify({ type: `E${i}`, fingerprint: `f${i}` }) }, false))
  }
  assert.equal(errors.size, 3)
  assert.equal(counters.errorGroupsEvicted, 2)
  assert.deepEqual(
    errors.list().map((g) => g.type),
    ['E5', 'E4', 'E3'],
  )
})

test('topFrame skips node_modules and internals, reads file:// URLs', () => {
  assert.equal(topFrame(STACK), '/srv/app/src/routes/payments.ts:42')
  assert.equal(
    topFrame('Error\n    at node:internal/x:1:1\n    at async file:///srv/app/src/a%20b.mjs:3:4'),
    '/srv/app/src/a b.mjs:3',
  )
  assert.equal(topFrame('no frames at all'), '')
})
