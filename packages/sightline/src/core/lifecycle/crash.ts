/**
 * @module crash
 * Crash capture: an `uncaughtException` or `unhandledRejection` becomes one log line with the
 * error and the request it happened in, recorded on the active span, flushed within a bound, and
 * then the process exits as Node would have made it exit.
 *
 * Node runs both events' listeners in the async context of the error: the throwing callback's for
 * an exception, the rejected promise's for a rejection (test/foundation/crash.test.ts checks both),
 * so the logger's mixin and the active span are the request's without looking them up. Only an
 * error thrown synchronously out of a request listener has left its context (`storage.run`
 * returned): the pipeline marks it with its request, and `within` enters that one.
 *
 * A listener of Sightline's stops Node from exiting by itself: Sightline exits (code 1) after the
 * flush. When the application has listeners of its own for the event, Node would leave the decision
 * to them, and so does Sightline: it logs and flushes, and does not exit.
 */

import type { ErrorFingerprint } from '../error-groups/fingerprint.js'
import { serializeError } from '../logging/access-log.js'

export type CrashKind = 'uncaughtException' | 'unhandledRejection'

/** Node's `--unhandled-rejections` modes. */
export type RejectionMode = 'throw' | 'strict' | 'warn' | 'none' | 'warn-with-error-code'

const MODES = new Set<string>(['throw', 'strict', 'warn', 'none', 'warn-with-error-code'])
const FLAG = '--unhandled-rejections'

export interface CrashParts {
  /** Longest wait for the flush before exiting. */
  timeoutMs: number
  /** Runs `fn` in the request context the error belongs to, when it is not the current one. */
  within(error: unknown, fn: () => void): void
  /** Writes the line, in the context the error happened in. Never throws. */
  log(level: 'fatal' | 'error', fields: object, msg: string): void
  /**
   * Fingerprints the error and counts it (core/error-groups), in the context it happened in.
   * Optional: crash capture works without it.
   */
  describe?(error: unknown): ErrorFingerprint | undefined
  /** Records the error on the active span; with `end`, ends it (and the request's) so they are exported. */
  record(error: unknown, end: boolean, fingerprint: ErrorFingerprint | undefined): void
  /** Writes out the log lines already buffered, synchronously. */
  flushLogs(): void
  /** Flushes spans, exported logs and log lines. */
  flush(): Promise<void>
}

/**
 * The handlers are process-wide, so is the mark of who installed them: on `process` under a
 * registered symbol rather than in a module variable, so that a second copy of Sightline in the
 * process (ESM and CommonJS builds, the launcher's bundle) sees the first's and installs nothing.
 */
const kInstalled = Symbol.for('sightline.crashCapture')
type MarkedProcess = NodeJS.Process & { [kInstalled]?: object }

/**
 * Installs the handlers unless another Sightline already did; returns the function removing them,
 * or `undefined` when nothing was installed.
 */
export function installCrashCapture(
  parts: CrashParts,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): (() => void) | undefined {
  const marked = process as MarkedProcess
  if (marked[kInstalled] !== undefined) return undefined
  const owner = {}
  marked[kInstalled] = owner
  const mode = rejectionMode(execArgv, nodeOptions)
  // Once exiting, a second error (from a request still running during the flush) is only logged.
  let exiting = false

  const capture = (kind: CrashKind, error: unknown, fatal: boolean, ownListenerOnly: boolean): void => {
    const level = fatal ? 'fatal' : 'error'
    const msg = kind === 'uncaughtException' ? 'uncaught exception' : 'unhandled rejection'
    const exit = fatal && ownListenerOnly && !exiting
    parts.within(error, () => {
      let fingerprint: ErrorFingerprint | undefined
      try {
        // Once per error: a second report of it during the flush is not a second occurrence.
        if (!exiting) fingerprint = parts.describe?.(error)
      } catch {
        // Grouping failing must not cost the line.
      }
      // Without a prototype, pino's `err` serializer keeps this `type` instead of naming it `Object`.
      const err = Object.assign(
        Object.create(null) as Record<string, unknown>,
        serializeError(error, undefined, fingerprint),
      )
      parts.log(level, { err, kind }, msg)
      if (exiting) return
      try {
        parts.record(error, exit, fingerprint)
      } catch {
        // Tracing failing must not keep the line from being flushed nor the process from exiting.
      }
    })
    if (exiting) return
    if (exit) exiting = true
    parts.flushLogs()
    if (!fatal && ownListenerOnly && mode === 'warn-with-error-code') process.exitCode = 1
    void bounded(parts.flush(), parts.timeoutMs, !exit).then(() => {
      if (!exit) return
      parts.flushLogs()
      process.exit(1)
    })
  }

  const onException = (error: unknown, origin: string): void => {
    // `--unhandled-rejections=strict` raises a rejection as an exception first (origin tells).
    const kind: CrashKind = origin === 'unhandledRejection' ? 'unhandledRejection' : 'uncaughtException'
    capture(kind, error, true, process.listenerCount('uncaughtException') === 1)
  }
  const onRejection = (reason: unknown): void => {
    // Under strict, Node emits this only after the exception path above handled the rejection.
    if (mode === 'strict') return
    capture('unhandledRejection', reason, mode === 'throw', process.listenerCount('unhandledRejection') === 1)
  }
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  return () => {
    process.off('uncaughtException', onException)
    process.off('unhandledRejection', onRejection)
    if (marked[kInstalled] === owner) delete marked[kInstalled]
  }
}

/**
 * The `--unhandled-rejections` mode in force: the last one given, the command line after
 * `NODE_OPTIONS` (Node applies them in that order). Node's default since 15 is `throw`.
 */
export function rejectionMode(execArgv: readonly string[], nodeOptions: string | undefined): RejectionMode {
  let mode: RejectionMode = 'throw'
  for (const args of [nodeOptions?.trim().split(/\s+/) ?? [], execArgv]) {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string
      const value = arg === FLAG ? args[i + 1] : arg.startsWith(`${FLAG}=`) ? arg.slice(FLAG.length + 1) : undefined
      if (value !== undefined && MODES.has(value)) mode = value as RejectionMode
    }
  }
  return mode
}

/** Waits for `promise`, at most `ms`; never rejects. `unref` when the process is not exiting on it. */
function bounded(promise: Promise<void>, ms: number, unref: boolean): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
    if (unref) timer.unref()
  })
  return Promise.race([promise.catch(() => {}), timeout]).finally(() => clearTimeout(timer))
}
