/**
 * @module core/metrics/aggregation/delta.test
 * Snapshots sent as changes: unchanged metrics named, not sent; the receiver takes them from what
 * it kept and reuses their merged result and text; a receiver without what it is told to reuse asks
 * for everything again within the same scrape. The transports are tested with real processes and
 * threads in test/metrics/cluster.test.ts; here the peers answer in the same thread.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Registry } from '../registry.js'
import { SnapshotSender, type WireSnapshot } from './delta.js'

function worker(): { registry: Registry; jobs: (n?: number) => void } {
  const registry = new Registry()
  const items = registry.counter({ name: 'app_items_total', help: 'Items.', labelNames: ['item'] })
  for (let i = 0; i < 50; i++) items.inc({ item: `item-${i}` })
  registry.histogram({ name: 'app_latency_seconds', help: 'Latency.', buckets: [0.1, 1] }).observe(0.5)
  const jobs = registry.counter({ name: 'app_jobs_total', help: 'Jobs.' })
  return { registry, jobs: (n = 1) => jobs.inc(n) }
}

const unchangedNames = (wire: WireSnapshot): string[] =>
  wire.filter((metric) => 'unchanged' in metric).map((metric) => metric.name)

test('the sender names the metrics unchanged since its last snapshot, and sends everything when asked to', async () => {
  const { registry, jobs } = worker()
  const sender = new SnapshotSender()
  assert.deepEqual(unchangedNames(sender.encode(await registry.snapshot(), false)), [])
  jobs()
  const second = sender.encode(await registry.snapshot(), false)
  assert.ok(unchangedNames(second).includes('app_items_total'))
  assert.ok(unchangedNames(second).includes('app_latency_seconds'))
  assert.ok(!unchangedNames(second).includes('app_jobs_total'), 'a changed counter is sent')
  assert.deepEqual(unchangedNames(sender.encode(await registry.snapshot(), true)), [])
})

/** A registry aggregating `peers`, each answering through its own sender, in this thread. */
function aggregate(peers: Registry[]): {
  primary: Registry
  wires: WireSnapshot[][]
  aggregator: ReturnType<Registry['aggregation']>
} {
  const primary = new Registry()
  const aggregator = primary.aggregation(1000, 'primary', (metric) => assert.fail(`conflict on ${metric}`))
  const wires: WireSnapshot[][] = peers.map(() => [])
  peers.forEach((peer, i) => {
    const sender = new SnapshotSender()
    aggregator.join(String(i), (seq, full) => {
      void peer.snapshot().then((snapshot) => {
        const wire = sender.encode(snapshot, full)
        wires[i]?.push(wire)
        aggregator.receive(String(i), seq, wire)
      })
    })
  })
  return { primary, wires, aggregator }
}

test('the primary sums what it kept with what changed, and renders each change', async () => {
  const a = worker()
  const b = worker()
  const { primary, wires } = aggregate([a.registry, b.registry])
  a.jobs(3)
  assert.match(await primary.render(false), /^app_jobs_total 3$/m)
  assert.match(await primary.render(false), /^app_items_total\{item="item-7"\} 2$/m)
  b.jobs(4)
  const text = await primary.render(false)
  assert.match(text, /^app_jobs_total 7$/m)
  assert.match(text, /^app_items_total\{item="item-7"\} 2$/m)
  assert.match(text, /^app_latency_seconds_count 2$/m)
  assert.ok(unchangedNames(wires[0]?.at(-1) ?? []).includes('app_items_total'), 'the unchanged metric was only named')
  // OpenMetrics after the text format: each format's own text, kept apart.
  const openMetrics = await primary.render(true)
  assert.match(openMetrics, /^app_jobs_total 7$/m)
  assert.match(openMetrics, /# EOF\n$/)
  a.jobs(1)
  assert.match(await primary.render(false), /^app_jobs_total 8$/m)
})

test('an unchanged name the receiver cannot resolve is not taken, and a new peer is asked for everything', async () => {
  const { registry, jobs } = worker()
  const primary = new Registry()
  const aggregator = primary.aggregation(1000, 'primary', () => assert.fail('no conflict'))
  // A sender that already sent once, to a receiver that never got it.
  const sender = new SnapshotSender()
  sender.encode(await registry.snapshot(), false)
  jobs(5)
  const asked: boolean[] = []
  aggregator.join('1', (seq, full) => {
    asked.push(full)
    void registry.snapshot().then((snapshot) => aggregator.receive('1', seq, sender.encode(snapshot, full)))
  })
  // The first question of a peer is for everything already; a snapshot arriving with unchanged
  // names it cannot resolve must be asked again.
  aggregator.receive('1', 0, [{ name: 'app_items_total', unchanged: true }])
  const text = await primary.render(false)
  assert.match(text, /^app_jobs_total 5$/m)
  assert.match(text, /^app_items_total\{item="item-1"\} 1$/m)
  assert.equal(asked[0], true)
})

test('a receiver whose kept snapshot lacks a metric named unchanged asks again for all of it', async () => {
  const { registry, jobs } = worker()
  const primary = new Registry()
  const aggregator = primary.aggregation(1000, 'primary', () => assert.fail('no conflict'))
  const sender = new SnapshotSender()
  let lose = false
  const asked: boolean[] = []
  aggregator.join('1', (seq, full) => {
    asked.push(full)
    void registry.snapshot().then((snapshot) => {
      let wire = sender.encode(snapshot, full)
      // The first answer loses a metric on the way, so the second names one the receiver lacks.
      if (!lose) {
        lose = true
        wire = wire.filter((metric) => metric.name !== 'app_items_total')
      }
      aggregator.receive('1', seq, wire)
    })
  })
  await primary.render(false)
  jobs(2)
  const text = await primary.render(false)
  assert.deepEqual(asked, [true, false, true])
  assert.match(text, /^app_jobs_total 2$/m)
  assert.match(text, /^app_items_total\{item="item-3"\} 1$/m)
})

test('answers arriving out of their questions order: unchanged names resolve against the last to arrive', async () => {
  const { registry, jobs } = worker()
  const primary = new Registry()
  // The worker answers nothing on its own: each answer is handed in below, in the order it was sent.
  const aggregator = primary.aggregation(20, 'primary', () => assert.fail('no conflict'))
  aggregator.join('1', () => {})
  const sender = new SnapshotSender()
  jobs(1)
  const first = sender.encode(await registry.snapshot(), true)
  jobs(1)
  const second = sender.encode(await registry.snapshot(), false)
  const third = sender.encode(await registry.snapshot(), false)
  assert.ok(unchangedNames(third).includes('app_jobs_total'))
  // Answered as collectors finish: the answer to question 2 is sent before the one to question 1.
  aggregator.receive('1', 2, first)
  aggregator.receive('1', 1, second)
  aggregator.receive('1', 3, third)
  assert.match(await primary.render(false), /^app_jobs_total 2$/m)
})

test('a sum that rounds lower once a worker exits keeps its last value: no counter goes down', async () => {
  // (0.1 + 0.2) + 0.01 is 0.31000000000000005; with the third worker retired, summed first, it is 0.31.
  const peers = [0.1, 0.2, 0.01].map((seconds) => {
    const registry = new Registry()
    registry.counter({ name: 'app_work_seconds_total', help: 'Work.' }).inc(seconds)
    return registry
  })
  const { primary, aggregator } = aggregate(peers)
  const value = async () => Number(/^app_work_seconds_total (\S+)$/m.exec(await primary.render(false))?.[1])
  const before = await value()
  assert.equal(before, 0.31000000000000005)
  aggregator.leave('2')
  assert.equal(await value(), before)
})
