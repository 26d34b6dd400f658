/**
 * @module core/option-readers.test
 * The one way options are read: code over environment over default, and a coded error naming the
 * option, the expectation and the value for anything else.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  readBoolean,
  readInteger,
  readOptionalInteger,
  readPath,
  readString,
  readStringList,
} from './option-readers.js'

const invalid = (pattern: RegExp) => ({ code: 'SIGHTLINE_ERR_INVALID_OPTION', message: pattern })

test('code wins over the environment, which wins over the default', () => {
  assert.equal(readInteger('n', 3, '5', 7), 3)
  assert.equal(readInteger('n', undefined, '5', 7), 5)
  assert.equal(readInteger('n', undefined, ' ', 7), 7)
  assert.equal(readBoolean('b', false, 'true', true), false)
  assert.equal(readBoolean('b', undefined, 'YES', false), true)
  assert.equal(readBoolean('b', undefined, '0', true), false)
  assert.equal(readBoolean('b', undefined, undefined, true), true)
  assert.equal(readString('s', '', 'x'), 'x')
  assert.equal(readPath('p', '/m', '/metrics'), '/m')
  assert.deepEqual(readStringList('l', undefined), [])
  assert.equal(readOptionalInteger('o', undefined, ''), undefined)
  assert.equal(readOptionalInteger('o', undefined, '9', { max: 10 }), 9)
})

test('a wrong value is a coded error naming the option, the expectation and the value', () => {
  assert.throws(
    () => readInteger('port', undefined, '70000', 0, { max: 65535 }),
    invalid(/"port" must be an integer between 0 and 65535, received "70000"/),
  )
  assert.throws(
    () => readInteger('batch', 0, undefined, 1, { min: 1 }),
    invalid(/"batch" must be a positive integer, received 0/),
  )
  assert.throws(() => readInteger('n', undefined, 'abc', 1), invalid(/"n" must be a non-negative integer/))
  assert.throws(() => readInteger('n', 1.5, undefined, 1), invalid(/received 1.5/))
  assert.throws(
    () => readBoolean('b', undefined, 'maybe', true),
    invalid(/"b" must be true or false, received "maybe"/),
  )
  assert.throws(() => readBoolean('b', 'true', undefined, true), invalid(/"b" must be a boolean/))
  assert.throws(() => readPath('p', 'metrics', '/metrics'), invalid(/a path starting with "\/"/))
  assert.throws(() => readStringList('l', ['a', 1]), invalid(/an array of strings/))
})
