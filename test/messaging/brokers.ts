/**
 * @module test/messaging/brokers
 * The real brokers the messaging tests use (scripts/ensure-services.sh starts them), and a
 * server that answers one request through a Sightline pipeline, as a service publishing from a
 * request would.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Sightline } from 'sightline'

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/** A name no other run (or test file) shares. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
}

/** Serves one request with `handler` through `sightline`'s pipeline; resolves with the response's request id. */
export async function serveOnce(
  sightline: Sightline,
  headers: Record<string, string>,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<string> {
  const server = sightline.instrument(createServer((req, res) => void handler(req, res)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/book`, { headers })
    assert.equal(reply.status, 200, await reply.text())
    return reply.headers.get('x-request-id') as string
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
