import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { Sightline } from '../../core/sightline.js'
import { instrumentCache } from './cache.js'

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() })

function sightline(): Sightline {
  return new Sightline({
    service: 'cache-test',
    logDestination: quiet,
    shutdown: { signals: false },
    runtimeMetrics: false,
  })
}

test('hits, misses and failures are counted; a cache that throws synchronously still gives a rejected promise', async (t) => {
  const instance = sightline()
  t.after(() => instance.close())
  const store = new Map<string, string>([['a', '1']])
  const cache = instrumentCache(
    {
      get: async (key: string) => store.get(key),
      set: async (key: string, value: string) => {
        store.set(key, value)
      },
      del: (_key: string): Promise<unknown> => {
        throw Object.assign(new Error('connection is closed'), { code: 'ECONNRESET' })
      },
    },
    { sightline: instance, system: 'memory' },
  )
  assert.equal(await cache.get('a'), '1')
  assert.equal(await cache.get('b'), undefined)
  await cache.set('b', '2')
  const pending = cache.del('a')
  assert.ok(pending instanceof Promise, 'no synchronous throw reaches the caller')
  await assert.rejects(pending, /connection is closed/)
  const text = await instance.metrics.render(false)
  assert.match(text, /cache_requests_total\{cache_system="memory",result="hit"\} 1/)
  assert.match(text, /cache_requests_total\{cache_system="memory",result="miss"\} 1/)
  assert.match(
    text,
    /cache_operation_duration_seconds_count\{cache_system="memory",cache_operation="del",error_type="ECONNRESET"\} 1/,
  )
  assert.match(
    text,
    /cache_operation_duration_seconds_count\{cache_system="memory",cache_operation="set",error_type=""\} 1/,
  )
})
