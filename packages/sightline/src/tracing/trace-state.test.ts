/**
 * `tracestate` as W3C Trace Context Level 2 specifies it ("tracestate Header Field Values", "list",
 * "Key", "Value", "Combined Header Value"), with the cases of the W3C harness's test.py ported. A
 * list is valid as a whole or discarded as a whole.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseTraceState } from './trace-state.js'

const members = (count: number) => Array.from({ length: count }, (_, i) => `bar${i + 1}=${i + 1}`).join(',')

describe('tracestate parsing', () => {
  test('a valid list is kept as it came, in order', () => {
    assert.equal(
      parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')?.serialize(),
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    )
    assert.equal(parseTraceState('foo=1,bar=2')?.get('bar'), '2')
  })

  test('OWS around members and empty members are accepted, and not sent on', () => {
    assert.equal(parseTraceState('foo=1 \t , \t bar=2, \t baz=3')?.serialize(), 'foo=1,bar=2,baz=3')
    assert.equal(parseTraceState('foo=1\t \t,\t \tbar=2,\t \tbaz=3')?.serialize(), 'foo=1,bar=2,baz=3')
    for (const header of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t', 'foo=1,', ',foo=1', 'foo=1, ,']) {
      assert.equal(parseTraceState(header)?.serialize(), 'foo=1', JSON.stringify(header))
    }
  })

  test('an empty or whitespace-only header is no tracestate (so none is sent)', () => {
    for (const header of ['', ' ', ',', ' , \t,'])
      assert.equal(parseTraceState(header), undefined, JSON.stringify(header))
  })

  test('32 list-members are kept; 33 discard the whole header', () => {
    assert.equal(parseTraceState(members(32))?.get('bar1'), '1')
    assert.equal(parseTraceState(`${members(32)}, , `)?.get('bar32'), '32')
    assert.equal(parseTraceState(members(33)), undefined)
  })

  test('a duplicated key discards the whole header', () => {
    for (const header of ['foo=1,foo=1', 'foo=1,foo=2', 'foo=1, bar=2 ,foo=3', 'a@b=1,x=2,a@b=3']) {
      assert.equal(parseTraceState(header), undefined, header)
    }
    assert.equal(parseTraceState('foo=1,foo1=2,fo=3')?.serialize(), 'foo=1,foo1=2,fo=3')
  })

  test('key: lcalpha then up to 255 of a-z 0-9 _ - * /; all allowed characters accepted', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/'
    assert.equal(parseTraceState(`${key}=1`)?.get(key), '1')
    assert.equal(parseTraceState(`foo=1,${'z'.repeat(256)}=1`)?.get('foo'), '1')
    assert.equal(parseTraceState(`foo=1,${'z'.repeat(257)}=1`), undefined)
    for (const bad of ['foo =1', 'FOO=1', 'foo.bar=1', '1foo=1', '_foo=1', '=1', 'fo\u00e9=1']) {
      assert.equal(parseTraceState(`${bad},bar=2`), undefined, bad)
    }
  })

  test('multi-tenant key: tenant-id up to 241, one @, system-id lcalpha and up to 14', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/'
    assert.equal(parseTraceState(`${key}=1`)?.get(key), '1')
    assert.equal(parseTraceState('0tenant@vendor=1')?.get('0tenant@vendor'), '1')
    assert.equal(parseTraceState(`foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`)?.get('foo'), '1')
    assert.equal(parseTraceState(`foo=1,${'t'.repeat(242)}@v=1`), undefined)
    assert.equal(parseTraceState(`foo=1,t@${'v'.repeat(15)}=1`), undefined)
    for (const bad of ['foo@=1', '@foo=1', 'foo@@bar=1', 'foo@bar@baz=1', 'foo@1bar=1']) {
      assert.equal(parseTraceState(`${bad},bar=2`), undefined, bad)
    }
  })

  test('value: up to 256 printable characters but , and =, not ending in a space', () => {
    const value = `${String.fromCharCode(...range(0x20, 0x2b))}${String.fromCharCode(...range(0x2d, 0x3c))}${String.fromCharCode(...range(0x3e, 0x7e))}`
    assert.equal(parseTraceState(`foo=${value}`)?.get('foo'), value)
    assert.equal(parseTraceState(`foo= 1`)?.get('foo'), ' 1')
    assert.equal(parseTraceState(`foo=${'v'.repeat(256)}`)?.get('foo'), 'v'.repeat(256))
    assert.equal(parseTraceState(`foo=${'v'.repeat(257)}`), undefined)
    for (const bad of ['foo=bar=baz', 'foo=,bar=3', 'foo', 'foo=a\tb', 'foo=\u00e9']) {
      assert.equal(parseTraceState(bad), undefined, bad)
    }
  })

  test('set moves the key to the left; unset removes it; an invalid set changes nothing', () => {
    const state = parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')!
    assert.equal(state.set('congo', 'ucfJifl5GOE').serialize(), 'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7')
    assert.equal(state.set('new', 'x').serialize(), 'new=x,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
    assert.equal(state.unset('rojo').serialize(), 'congo=t61rcWkgMzE')
    assert.equal(state.set('Bad', 'x'), state)
    assert.equal(state.set('ok', 'a,b'), state)
    assert.equal(parseTraceState(members(32))!.set('extra', '1').serialize(), members(32))
  })
})

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
