/**
 * @module tracing/ids
 * Trace and span ids from a pooled random buffer (hex-encoded once per 4 KB), and an id generator
 * that can be handed the trace id the pipeline already drew, so the SDK's sampler sees the id the
 * pipeline's decision was made on.
 */
import { randomFillSync } from 'node:crypto'
import type { IdGenerator } from '@opentelemetry/sdk-trace-base'

const POOL_BYTES = 4096
const ZEROS: Record<number, string> = { 8: '0'.repeat(16), 16: '0'.repeat(32) }
/** The pool, hex-encoded once: an id is then a substring (V8 makes it a slice, no copy, no native call). */
let poolHex = ''
let offset = POOL_BYTES * 2

function randomHex(bytes: number): string {
  const chars = bytes * 2
  if (offset + chars > poolHex.length) {
    poolHex = randomFillSync(Buffer.allocUnsafe(POOL_BYTES)).toString('hex')
    offset = 0
  }
  const hex = poolHex.substring(offset, offset + chars)
  offset += chars
  // An all-zero id is invalid in W3C trace context; astronomically rare, but cheap to rule out.
  return hex === ZEROS[bytes] ? randomHex(bytes) : hex
}

export const randomTraceId = (): string => randomHex(16)
export const randomSpanId = (): string => randomHex(8)

export class HandoverIdGenerator implements IdGenerator {
  /** Used (once) as the next trace id instead of a random one. */
  next: string | undefined = undefined

  generateTraceId = (): string => {
    const next = this.next
    if (next === undefined) return randomTraceId()
    this.next = undefined
    return next
  }

  generateSpanId = (): string => randomSpanId()
}
