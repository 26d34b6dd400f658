import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serializeError } from './access-log.js'

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
