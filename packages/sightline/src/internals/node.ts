/**
 * @module internals/node
 * Every behaviour of Node's own internals that Sightline relies on, in one place, each with a
 * canary in internals/canary.test.ts that fails loudly when a Node upgrade changes it:
 * - `ServerResponse._header`: after `writeHead`, the whole head as one string, not yet sent (it
 *   goes out with the first body chunk), ending with the blank line. The request id is added to it
 *   there (core/pipeline), which skips Node's header checks for a value Sightline already checked.
 * - `AsyncLocalStorage.enterWith` inside an async context frame (Node 24's default) ends with the
 *   callback that entered it; with async_hooks storage (Node 20, 22) it outlives the callback.
 * - An outgoing `node:http` request can be given headers only before they are built. Node 22.12+
 *   and 23.2+ publish 'http.client.request.created' from `ClientRequest`'s constructor; Node 20
 *   publishes only 'http.client.request.start', once the headers are already written. There,
 *   and only there, `http.request`/`http.get` (and https') are wrapped to tell of each request as
 *   it is made (`onClientRequestCreated`).
 * - An outgoing message keeps the headers set on it under the symbol described `kOutHeaders`, an
 *   object keyed by lower-case name: `hasHeader` lower-cases its argument on every call, which for
 *   a name that is lower-case already is work done per response for nothing (`hasOutgoingHeader`).
 */
import type { AsyncLocalStorage } from 'node:async_hooks'
import { AsyncResource } from 'node:async_hooks'
import diagnosticsChannel from 'node:diagnostics_channel'
import type { ClientRequest, ServerResponse } from 'node:http'
import { OutgoingMessage } from 'node:http'
import { createRequire, syncBuiltinESMExports } from 'node:module'

type WithHead = ServerResponse & { _header: string | null }

/** The head `writeHead` built and has not sent yet, or `null` (not written, or not a string head). */
export function responseHead(res: ServerResponse): string | null {
  const head = (res as WithHead)._header
  return typeof head === 'string' ? head : null
}

/**
 * True when the head Node sends is the `_header` string `writeHead` left, the seam the request id
 * uses. Bun and Deno implement `node:http` their own way: Bun keeps a `_header` string but sends a
 * head of its own, so a line added to it is lost (found by the conformance suite on Bun); the id
 * is set as an ordinary header there instead.
 */
export function sendsStringHead(): boolean {
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string }
  return versions.bun === undefined && versions.deno === undefined
}

/** Node's `kOutHeaders`, found once by its description; `undefined` where it is not (another runtime). */
const OUT_HEADERS: symbol | undefined = (() => {
  try {
    return Object.getOwnPropertySymbols(new OutgoingMessage()).find((symbol) => symbol.description === 'kOutHeaders')
  } catch {
    return undefined
  }
})()

/** True when the symbol `hasOutgoingHeader` reads was found (the canary checks it on Node). */
export const READS_OUT_HEADERS = OUT_HEADERS !== undefined

/** `res.hasHeader(lowerCaseName)` without lower-casing the name again: `lowerCaseName` must be lower case. */
export function hasOutgoingHeader(res: ServerResponse, lowerCaseName: string): boolean {
  if (OUT_HEADERS === undefined) return res.hasHeader(lowerCaseName)
  const headers = (res as unknown as Record<symbol, Record<string, unknown> | null | undefined>)[OUT_HEADERS]
  return headers !== null && headers !== undefined && headers[lowerCaseName] !== undefined
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

/** True where Node publishes 'http.client.request.created' (22.12+, 23.2+). */
export const HAS_CLIENT_REQUEST_CREATED = ((): boolean => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return major > 23 || (major === 23 && minor >= 2) || (major === 22 && minor >= 12)
})()

type ClientRequestListener = (message: { request: ClientRequest }) => void
type RequestFunction = (...args: unknown[]) => ClientRequest

/**
 * Calls `listener` with every outgoing `node:http`/`node:https` request as it is made, before its
 * headers are built; returns the function that stops it. The channel where Node has it; on Node
 * 20, `request` and `get` of both modules wrapped (and the ESM named exports synced), restored on
 * release. `get` is made as Node makes it (`request` then `end()`): Node's own `get` calls its
 * module-internal `request`, which the wrapper would not see.
 */
export function onClientRequestCreated(listener: ClientRequestListener): () => void {
  if (HAS_CLIENT_REQUEST_CREATED) {
    diagnosticsChannel.subscribe('http.client.request.created', listener as (message: unknown) => void)
    return () => diagnosticsChannel.unsubscribe('http.client.request.created', listener as (message: unknown) => void)
  }
  const require = createRequire(import.meta.url)
  const modules = [require('node:http'), require('node:https')] as Array<{
    request: RequestFunction
    get: RequestFunction
  }>
  const originals = modules.map((module) => ({ request: module.request, get: module.get }))
  const wrappers = modules.map((module, i) => {
    const original = (originals[i] as { request: RequestFunction }).request
    const request: RequestFunction = function (this: unknown, ...args) {
      const made = original.apply(this, args)
      try {
        listener({ request: made })
      } catch {
        // Telling must never fail the application's call.
      }
      return made
    }
    const get: RequestFunction = function (this: unknown, ...args) {
      const made = request.apply(this, args)
      made.end()
      return made
    }
    module.request = request
    module.get = get
    return { request, get }
  })
  syncBuiltinESMExports()
  return () => {
    modules.forEach((module, i) => {
      const original = originals[i] as { request: RequestFunction; get: RequestFunction }
      const wrapper = wrappers[i] as { request: RequestFunction; get: RequestFunction }
      // Only our own wrappers are taken back: one set over them later (another instrumentation) stays.
      if (module.request === wrapper.request) module.request = original.request
      if (module.get === wrapper.get) module.get = original.get
    })
    syncBuiltinESMExports()
  }
}
