/**
 * @module logging-otlp/otlp-log-tee.test
 * The tee's queue is bounded, what it drops is counted, and a failing endpoint is reported once.
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
  it('bounds its queue, counts drops, and reports a failing endpoint once', async () => {
    const capture = new LogCapture()
    const dead = await deadUrl()
    const errors: Error[] = []
    const tee = new OtlpLogTee(capture as never, {
      endpoint: `${dead}/v1/logs`,
      service: 'x',
      maxQueue: 10,
      maxBatch: 100,
      flushMs: 60_000,
      onError: (error) => errors.push(error),
    })
    for (let i = 0; i < 25; i++) tee.write(`{"level":"info","time":${Date.now()},"msg":"line ${i}"}\n`)
    assert.equal(capture.lines.length, 25, 'every line still reaches the destination')
    assert.deepEqual(tee.stats, { queued: 10, exported: 0, dropped: 15, failedBatches: 0 })
    await tee.forceFlush()
    assert.deepEqual(tee.stats, { queued: 10, exported: 0, dropped: 25, failedBatches: 1 })
    for (let i = 0; i < 3; i++) tee.write(`{"level":"info","msg":"again ${i}"}\n`)
    await tee.forceFlush()
    assert.equal(tee.stats.failedBatches, 2)
    assert.equal(errors.length, 1, 'reported once')
  })
})
