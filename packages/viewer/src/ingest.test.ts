/**
 * @module viewer/ingest.test
 * Bodies waiting for their turn are bounded by bytes: past the bound a request is refused with a
 * 503 (which OTLP exporters retry) and counted, never queued; once the queue drains, requests are
 * taken again. A single body larger than the bound is still taken when nothing waits.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Ingest } from './ingest.js'
import { HttpError } from './otlp-request.js'
import { Store } from './store.js'

function traces(name: string): Buffer {
  const span = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name,
    kind: 2,
    startTimeUnixNano: String(Date.now() * 1e6),
    endTimeUnixNano: String((Date.now() + 5) * 1e6),
  }
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ spans: [span] }] }] }))
}

test('bodies waiting are bounded by bytes: past the bound, 503 and counted', async () => {
  const store = new Store()
  const body = traces('GET /a')
  const ingest = new Ingest(store, () => {}, body.length * 2)
  const results = await Promise.allSettled([
    ingest.run('traces', 'application/json', body),
    ingest.run('traces', 'application/json', body),
    ingest.run('traces', 'application/json', body),
  ])
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  )
  const refused = (results[2] as PromiseRejectedResult).reason
  assert.ok(refused instanceof HttpError && refused.status === 503, String(refused))
  assert.equal(store.counters.requestsRefused, 1)
  // Drained: taken again.
  await ingest.run('traces', 'application/json', body)
  const alone = new Ingest(new Store(), () => {}, 10)
  await alone.run('traces', 'application/json', body)
})
