/**
 * @module instrumentations/messaging/errors.test
 * `error.type` is a short code or a class name, never a message.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorTypeOf, OTHER_ERROR } from './errors.js'

test('a code, else the class name, else _OTHER; never the message', () => {
  assert.equal(errorTypeOf(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 'ECONNRESET')
  assert.equal(errorTypeOf(Object.assign(new Error('no responders'), { code: 503 })), '503')
  assert.equal(errorTypeOf(new TypeError('patient Jane Doe')), 'TypeError')
  assert.equal(errorTypeOf(Object.assign(new Error('x'), { code: 'a code with spaces: Jane' })), 'Error')
  assert.equal(errorTypeOf('Jane Doe'), OTHER_ERROR)
  assert.equal(errorTypeOf(null), OTHER_ERROR)
})
