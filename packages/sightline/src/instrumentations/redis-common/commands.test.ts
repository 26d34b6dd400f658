/**
 * @module instrumentations/redis-common/commands.test
 * The command table: known names in either case share one series, anything else is `_OTHER`;
 * `db.query.text` is the command and a `?` per argument, cut at eight; a Buffer name is read, a long
 * one is not. And the error types: a reply's prefix, the client's timeout, a code, a class, bounded.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Registry } from '../../core/metrics/registry.js'
import { CommandTable, commandName } from './commands.js'
import { ErrorTypes, isA } from './errors.js'

function table(): CommandTable {
  const histogram = new Registry().histogram({
    name: 'db_client_operation_duration_seconds',
    help: 'h',
    labelNames: ['db_system_name', 'db_operation_name', 'db_collection_name', 'error_type'],
    buckets: [1],
  })
  return new CommandTable(['get', 'SET', 'client'], histogram, 'redis')
}

test('known names in either case share one series; others are _OTHER', () => {
  const commands = table()
  assert.equal(commands.lookup('GET'), commands.lookup('get'))
  assert.equal(commands.lookup('Get').operation, 'GET')
  assert.equal(commands.lookup('set').operation, 'SET')
  assert.equal(commands.lookup('NOSUCHCOMMAND'), commands.other)
  assert.equal(commands.lookup(undefined).operation, '_OTHER')
})

test('db.query.text: a ? per argument, never more than eight, made once', () => {
  const get = table().lookup('GET')
  assert.equal(get.text(0), 'GET')
  assert.equal(get.text(1), 'GET ?')
  assert.equal(get.text(8), 'GET ? ? ? ? ? ? ? ?')
  assert.equal(get.text(1000), 'GET ? ? ? ? ? ? ? ? …')
  assert.equal(get.text(-1), 'GET')
  assert.equal(get.text(9), get.text(1000))
})

test('a command name from a string or a short Buffer; nothing from anything else', () => {
  assert.equal(commandName('GET'), 'GET')
  assert.equal(commandName(Buffer.from('SET')), 'SET')
  assert.equal(commandName(Buffer.alloc(33, 65)), undefined)
  assert.equal(commandName(42), undefined)
})

class ErrorReply extends Error {}
class SimpleError extends ErrorReply {}
class TimeoutError extends Error {}
class ClientOfflineError extends Error {}

test('error types: a reply prefix, the timeout, a code, a class (never the message), bounded', () => {
  const types = new ErrorTypes({
    isReply: (error) => isA(error, 'ErrorReply'),
    isTimeout: (error) => isA(error, 'TimeoutError'),
  })
  assert.equal(types.of(new SimpleError('WRONGTYPE Operation against a key'), 1), 'WRONGTYPE')
  assert.equal(types.statusCode(new SimpleError("ERR unknown command 'x', with args beginning with: 's3cr3t'")), 'ERR')
  assert.equal(types.of(new SimpleError('lowercase message from a script'), 1), 'SimpleError')
  assert.equal(types.of(new TimeoutError('Command timeout'), 1), 'timeout')
  assert.equal(types.of(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 1), 'ECONNRESET')
  assert.equal(types.of(new ClientOfflineError('The client is offline'), 1), 'ClientOfflineError')
  assert.equal(types.of('not an error', 1), '_OTHER')
  assert.equal(types.statusCode(new ClientOfflineError('x')), undefined)
  for (let i = 0; i < 40; i++) types.of(new SimpleError(`CODE${i} from a script`), 1)
  assert.equal(types.of(new SimpleError('ANOTHER one'), 1), '_OTHER', 'past 32 labels')
  assert.equal(types.of(new SimpleError('WRONGTYPE again'), 1), 'WRONGTYPE', 'a label seen before stays')
})
