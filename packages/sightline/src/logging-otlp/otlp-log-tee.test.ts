/**
 * @module logging-otlp/otlp-log-tee.test
 * The tee's queue is bounded, what it drops is counted by reason, and a failing endpoint is told
 * once per outage (and when it recovers), not once per process nor once per batch.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { OtlpLogTee } from './otlp-log-tee.js'

class LogCapture extends Writable {
  readonly lines: string[] = []
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(chunk.toString())
    done()
  }
}

async function deadUrl(): Promise<string> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}` // nothing listens there any more
}

describe('OtlpLogTee', () => {
  it('bounds its queue, counts drops by reason, and tells a failing endpoint once for the outage', async () => {
    const capture = new LogCapture()
    const dead = await deadUrl()
    const errors: Error[] = []
    const drops: Record<string, number> = {}
    const tee = new OtlpLogTee(capture as never, {
      endpoint: `${dead}/v1/logs`,
      service: 'x',
      maxQueue: 10,
      maxBatch: 100,
      flushMs: 60_000,
      onError: (error) => errors.push(error),
      onDropped: (reason, records) => {
        drops[reason] = (drops[reason] ?? 0) + records
      },
    })
    for (let i = 0; i < 25; i++) tee.write(`{"level":"info","time":${Date.now()},"msg":"line ${i}"}\n`)
    assert.equal(capture.lines.length, 25, 'every line still reaches the destination')
    assert.deepEqual(tee.stats, { queued: 10, exported: 0, dropped: 15, failedBatches: 0 })
    await tee.forceFlush()
    assert.deepEqual(tee.stats, { queued: 10, exported: 0, dropped: 25, failedBatches: 1 })
    for (let i = 0; i < 3; i++) tee.write(`{"level":"info","msg":"again ${i}"}\n`)
    await tee.forceFlush()
    assert.equal(tee.stats.failedBatches, 2)
    assert.equal(errors.length, 1, 'told once: the outage goes on')
    tee.write('not json\n')
    await tee.forceFlush()
    assert.deepEqual(drops, { queue_full: 15, export_failed: 13, unencodable: 1 })
  })

  it('tells a second outage as it told the first, and each recovery', async () => {
    let failing = true
    const receiver = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.statusCode = failing ? 503 : 200
        res.end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const { port } = receiver.address() as AddressInfo
    const events: string[] = []
    const tee = new OtlpLogTee(new LogCapture() as never, {
      endpoint: `http://127.0.0.1:${port}/v1/logs`,
      service: 'x',
      flushMs: 60_000,
      onError: (_error, fields) => events.push(`failing ${fields.records_dropped}`),
      onRecovered: (fields) => events.push(`recovered ${fields.records_dropped}/${fields.failed_exports}`),
    })
    const send = async (lines: number) => {
      for (let i = 0; i < lines; i++) tee.write(`{"level":"info","msg":"line ${i}"}\n`)
      await tee.forceFlush()
    }
    try {
      await send(2) // the outage begins
      await send(3) // it goes on: not told again within the minute
      failing = false
      await send(1) // it ends
      await send(1)
      failing = true
      await send(4) // a second outage
      assert.deepEqual(events, ['failing 2', 'recovered 5/2', 'failing 4'])
      assert.equal(tee.stats.exported, 2)
    } finally {
      await new Promise((resolve) => receiver.close(resolve))
    }
  })
})
