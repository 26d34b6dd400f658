/**
 * @module internals/node
 * Every behaviour of Node's own internals that Sightline relies on, in one place, each with a
 * canary in internals/canary.test.ts that fails loudly when a Node upgrade changes it:
 * - `ServerResponse._header`: after `writeHead`, the whole head as one string, not yet sent (it
 *   goes out with the first body chunk), ending with the blank line. The request id is added to it
 *   there (core/pipeline), which skips Node's header checks for a value Sightline already checked.
 * - `AsyncLocalStorage.enterWith` inside an async context frame (Node 24's default) ends with the
 *   callback that entered it; with async_hooks storage (Node 20, 22) it outlives the callback.
 */
import type { AsyncLocalStorage } from 'node:async_hooks'
import { AsyncResource } from 'node:async_hooks'
import type { ServerResponse } from 'node:http'

type WithHead = ServerResponse & { _header: string | null }

/** The head `writeHead` built and has not sent yet, or `null` (not written, or not a string head). */
export function responseHead(res: ServerResponse): string | null {
  const head = (res as WithHead)._header
  return typeof head === 'string' ? head : null
}

/** Replaces the unsent head (one built by `writeHead`, changed by a line). */
export function replaceResponseHead(res: ServerResponse, head: string): void {
  ;(res as WithHead)._header = head
}

/**
 * True when `enterWith` keeps its store in an async context frame, which ends with the callback
 * that entered it. Found by behaviour, not by version.
 */
export function enterWithEndsWithCallback<T extends object>(storage: AsyncLocalStorage<T>, marker: T): boolean {
  const probe = new AsyncResource('sightline.probe')
  probe.runInAsyncScope(() => storage.enterWith(marker))
  const kept = probe.runInAsyncScope(() => storage.getStore())
  probe.emitDestroy()
  return kept !== marker
}
