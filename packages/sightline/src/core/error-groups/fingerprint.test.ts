/**
 * @module error-groups/fingerprint.test
 * Fingerprints group errors by type, code and top application frame, never by message; and
 * `sightline_errors_total` counts them by type and route, within the series cap.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { Registry } from '../metrics/registry.js'
import { ErrorGroups, NO_ROUTE } from './error-groups.js'
import { Fingerprinter } from './fingerprint.js'

/** This test file lives in Sightline's package: treated as the application, not as Sightline. */
const appOnly = { root: process.cwd(), libraryRoot: '/nowhere/sightline' }

function declined(id: number): Error {
  return new Error(`payment ${id} declined`)
}

function refused(id: number): Error {
  return new Error(`payment ${id} declined`)
}

function withStack(stack: string, name = 'Error'): Error {
  const error = new Error('x')
  error.name = name
  error.stack = stack
  return error
}

test('ids in the message do not split a group; another throw site does', () => {
  const fingerprints = new Fingerprinter(appOnly)
  const first = fingerprints.of(declined(81723))
  const second = fingerprints.of(declined(90210))
  assert.equal(first.fingerprint, second.fingerprint)
  assert.match(first.fingerprint, /^[0-9a-f]{16}$/)
  assert.equal(first.type, 'Error')
  assert.match(first.frame, /fingerprint\.test\.js:\d+$/)
  const other = fingerprints.of(refused(81723))
  assert.notEqual(other.fingerprint, first.fingerprint, 'same message, another line')
  assert.notEqual(other.line, first.line)
})

test('the type and the code split groups; the message never does', () => {
  const fingerprints = new Fingerprinter(appOnly)
  const stack = 'Error: x\n    at pay (/app/src/routes/payments.ts:42:11)'
  const base = fingerprints.of(withStack(stack))
  assert.notEqual(fingerprints.of(withStack(stack, 'TypeError')).fingerprint, base.fingerprint)
  const coded = withStack(stack)
  ;(coded as Error & { code: string }).code = 'ECONNREFUSED'
  assert.notEqual(fingerprints.of(coded).fingerprint, base.fingerprint)
  const otherMessage = withStack(stack.replace('Error: x', 'Error: order 55 failed'))
  otherMessage.message = 'order 55 failed'
  assert.equal(fingerprints.of(otherMessage).fingerprint, base.fingerprint)
})

test('node_modules, node: internals and Sightline frames are skipped; the path is relative to the root', () => {
  const fingerprints = new Fingerprinter({ root: '/srv/app', libraryRoot: '/srv/app/node_modules/sightline' })
  const stack = [
    'TypeError: Cannot read properties of undefined',
    '    at Object.parse (/srv/app/node_modules/some-lib/index.js:10:5)',
    '    at Pipeline.end (/srv/app/node_modules/sightline/src/core/pipeline/pipeline.ts:200:3)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    '    at async Promise.all (index 0)',
    '    at async handler (file:///srv/app/src/routes/payments.ts:42:11)',
    '    at /srv/app/src/server.ts:7:1',
  ].join('\n')
  const result = fingerprints.of(withStack(stack, 'TypeError'))
  assert.equal(result.frame, 'src/routes/payments.ts:42')
  assert.equal(result.file, 'src/routes/payments.ts')
  assert.equal(result.line, 42)
})

test('with no application frame, the first frame outside Sightline; with no stack, the type alone', () => {
  const fingerprints = new Fingerprinter({ root: '/srv/app', libraryRoot: '/srv/sightline' })
  const network = withStack(
    [
      'Error: connect ECONNREFUSED 127.0.0.1:5432',
      '    at /srv/sightline/dist/src/x.js:1:1',
      '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)',
    ].join('\n'),
  )
  assert.equal(fingerprints.of(network).frame, 'node:net:1607')
  const bare = fingerprints.of('just a string')
  assert.equal(bare.type, 'string')
  assert.equal(bare.frame, '')
  assert.equal(fingerprints.of('another string').fingerprint, bare.fingerprint)
})

test('one computation per error object', () => {
  const fingerprints = new Fingerprinter(appOnly)
  const error = declined(1)
  const first = fingerprints.of(error)
  error.stack = 'Error: changed\n    at elsewhere (/else/where.ts:1:1)'
  assert.equal(fingerprints.of(error), first, 'the cached result, not a second parse')
})

test('file:// frames (ESM without source maps) read as paths', () => {
  const root = '/srv/app'
  const fingerprints = new Fingerprinter({ root, libraryRoot: '/srv/sightline' })
  const url = pathToFileURL('/srv/app/dist/routes/payments.js').href
  const result = fingerprints.of(withStack(`Error: x\n    at pay (${url}:9:3)`))
  assert.equal(result.frame, 'dist/routes/payments.js:9')
})

test('sightline_errors_total counts 5xx requests and crashes by type and route, within the series cap', async () => {
  const registry = new Registry({ maxSeriesPerMetric: 3 })
  const errors = new ErrorGroups(registry, appOnly)
  for (let i = 0; i < 5; i++) errors.request(declined(i), '/payments/:id', 500)
  const noError = errors.request(undefined, '/payments/:id', 503)
  assert.equal(noError, undefined, 'nothing to fingerprint')
  errors.crash(new RangeError('boom'), undefined)
  const text = await registry.render(false)
  assert.match(text, /# HELP sightline_errors_total Errors: server-error \(5xx\) responses/)
  assert.match(text, /sightline_errors_total\{error_type="Error",http_route="\/payments\/:id"\} 5/)
  assert.match(text, /sightline_errors_total\{error_type="503",http_route="\/payments\/:id"\} 1/)
  assert.match(text, new RegExp(`sightline_errors_total\\{error_type="RangeError",http_route="${NO_ROUTE}"\\} 1`))
  // A fourth series goes to the overflow series, not to a new one.
  errors.crash(new SyntaxError('late'), '/other')
  const capped = await registry.render(false)
  assert.match(capped, /sightline_errors_total\{otel_metric_overflow="true"\} 1/)
  assert.doesNotMatch(capped, /SyntaxError/)
})
