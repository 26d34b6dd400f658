/**
 * W3C Baggage ("Header Content", "Limits", "Mutating baggage"): members of the grammar are kept,
 * others dropped on their own; at most 64 list-members and 8192 bytes are forwarded.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT } from '@opentelemetry/api'
import { MAX_BAGGAGE_BYTES, parseBaggage, W3CBaggage } from './baggage.js'

const propagator = new W3CBaggage()
const extract = (header: string | string[]) =>
  propagator.extract(ROOT_CONTEXT, { baggage: header }, defaultTextMapGetter)
const forward = (header: string | string[]) => {
  const carrier: Record<string, string> = {}
  propagator.inject(extract(header), carrier, defaultTextMapSetter)
  return carrier.baggage
}

describe('baggage', () => {
  test('entries are decoded (percent-encoded UTF-8) and available through the API', () => {
    const baggage = propagation.getBaggage(extract('userId=alice,serverNode=DF%2028,isProduction=false,n=%C3%A9'))
    assert.equal(baggage?.getEntry('userId')?.value, 'alice')
    assert.equal(baggage?.getEntry('serverNode')?.value, 'DF 28')
    assert.equal(baggage?.getEntry('n')?.value, '\u00e9')
  })

  test('OWS around keys, values and separators is not part of them; several fields are one list', () => {
    const baggage = propagation.getBaggage(extract(['userId =   alice', 'serverNode = DF%2028, isProduction = false']))
    assert.equal(baggage?.getEntry('userId')?.value, 'alice')
    assert.equal(baggage?.getEntry('isProduction')?.value, 'false')
    assert.equal(forward(['userId =   alice', 'serverNode = DF%2028']), 'userId=alice,serverNode=DF%2028')
  })

  test('properties are kept as metadata and forwarded', () => {
    const header = 'key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue'
    const baggage = propagation.getBaggage(extract(header))
    assert.equal(baggage?.getEntry('key1')?.metadata?.toString(), 'property1;property2')
    assert.equal(forward(header), 'key1=value1;property1;property2,key2=value2,key3=value3;propertyKey=propertyValue')
  })

  test('a value may contain "="', () => {
    assert.equal(propagation.getBaggage(extract('token=a=b=='))?.getEntry('token')?.value, 'a=b==')
  })

  test('invalid members are dropped on their own, the others kept', () => {
    for (const bad of [
      'no-equals',
      '=value',
      'key with space=1',
      'k="quoted"',
      'k=a\\b',
      'k=%E0%A4%A',
      'k=v;bad prop',
      'k=\u00e9',
    ]) {
      assert.equal(forward(`a=1,${bad},b=2`), 'a=1,b=2', bad)
    }
    assert.equal(propagation.getBaggage(extract('no-equals, ,')), undefined)
  })

  test('at most 64 list-members are forwarded', () => {
    const header = Array.from({ length: 70 }, (_, i) => `k${i}=${i}`).join(',')
    const forwarded = forward(header)!.split(',')
    assert.equal(forwarded.length, 64)
    assert.equal(forwarded[63], 'k63=63')
    assert.equal(propagation.getBaggage(extract(header))?.getAllEntries().length, 64)
  })

  test('at most 8192 bytes are forwarded: members past it are dropped whole', () => {
    const big = `big=${'x'.repeat(5000)}`
    const forwarded = forward(`a=1,${big},${big.replace('big', 'big2')},b=2`)!
    assert.ok(forwarded.length <= MAX_BAGGAGE_BYTES)
    assert.equal(forwarded, `a=1,${big},b=2`)
    assert.equal(parseBaggage(`k=${'x'.repeat(MAX_BAGGAGE_BYTES)}`), undefined)
  })

  test("the application's baggage is serialized (encoded) within the same limits", () => {
    const baggage = propagation.createBaggage({ user: { value: 'a b,c' }, tier: { value: 'gold' } })
    const carrier: Record<string, string> = {}
    propagator.inject(propagation.setBaggage(ROOT_CONTEXT, baggage), carrier, defaultTextMapSetter)
    assert.equal(carrier.baggage, 'user=a%20b%2Cc,tier=gold')
    const empty: Record<string, string> = {}
    propagator.inject(propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage()), empty, defaultTextMapSetter)
    assert.equal('baggage' in empty, false)
  })
})
