/**
 * @module shutdown
 * One ordered shutdown: fail readiness, wait (so load balancers notice), stop accepting, drain
 * in-flight requests, close idle keep-alive sockets, run the application's hooks, flush telemetry
 * and logs. Defaults fit Kubernetes' 30 s grace period: 5 s delay + at most 20 s drain + hooks.
 */
import type { Server } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'

/** Something that stops accepting and drains: a `node:http` server, or a framework wrapping one. */
export interface Drainable {
  /** Stops accepting and resolves once every connection is gone. */
  close(): Promise<void>
  /** Closes keep-alive connections with no request in flight. */
  closeIdle(): void
  /** Destroys every connection, in flight or not (when the drain timed out). */
  closeAll(): void
}

export interface ShutdownOptions {
  /** Wait between failing readiness and closing. Default 5000 ms; SIGINT (Ctrl-C) skips it. */
  delayMs: number
  /** Longest wait for in-flight requests once closing. Default 20000 ms. */
  timeoutMs: number
  /** Install SIGTERM and SIGINT handlers. Default true. */
  signals: boolean
  /** Call `process.exit` once done. Default false: Sightline only sets `process.exitCode`. */
  exit: boolean
}

export interface ShutdownParts {
  logger: Logger
  markShuttingDown(): void
  /** Flushes telemetry (spans) and then logs. */
  flush(): Promise<void>
}

const POLL_IDLE_MS = 100
/**
 * How long the servers keep listening once the drain begins, before they stop accepting and close
 * idle keep-alive sockets. A client may be sending its next request on an idle socket at that very
 * moment (it was told keep-alive before the drain), and closing the socket under it is a reset.
 * Within the grace that request is served, with `Connection: close` as every response written
 * during the drain; after it, only sockets idle for the whole grace are closed.
 */
export const IDLE_GRACE_MS = 250
const HOOK_TIMEOUT_MS = 5000

export function drainableServer(server: Server): Drainable {
  return {
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve()
        server.close(() => resolve())
      }),
    closeIdle: () => server.closeIdleConnections(),
    closeAll: () => server.closeAllConnections(),
  }
}

export class Shutdown {
  private readonly options: ShutdownOptions
  private readonly parts: ShutdownParts
  private readonly drainables = new Set<Drainable>()
  private readonly hooks: Array<{ name: string; fn: () => unknown }> = []
  private readonly lateDrainables = new Set<Drainable>()
  private running: Promise<void> | undefined
  private draining = false
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.running !== undefined) {
      // A second signal: the operator insists.
      this.parts.logger.warn({ signal }, 'second signal during shutdown, exiting now')
      this.parts.flush().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
      return
    }
    void this.run(signal)
  }

  constructor(options: ShutdownOptions, parts: ShutdownParts) {
    this.options = options
    this.parts = parts
    if (options.signals) {
      process.on('SIGTERM', this.onSignal)
      process.on('SIGINT', this.onSignal)
    }
  }

  get isDraining(): boolean {
    return this.draining
  }

  /** True once the shutdown sequence began (a signal, or `run()`). */
  get isRunning(): boolean {
    return this.running !== undefined
  }

  /** Registers a server (or framework) to drain. `late` ones (the ops server) close after the flush. */
  add(drainable: Drainable, late = false): void {
    ;(late ? this.lateDrainables : this.drainables).add(drainable)
  }

  /** Runs after draining, before the flush, in registration order (close pools here). */
  onShutdown(name: string, fn: () => unknown): void {
    this.hooks.push({ name, fn })
  }

  /** Starts (or joins) the shutdown. Resolves when done; never rejects. */
  run(reason = 'requested'): Promise<void> {
    this.running ??= this.sequence(reason)
    return this.running
  }

  dispose(): void {
    process.off('SIGTERM', this.onSignal)
    process.off('SIGINT', this.onSignal)
  }

  private async sequence(reason: string): Promise<void> {
    const { logger } = this.parts
    const started = performance.now()
    this.parts.markShuttingDown()
    const delayMs = reason === 'SIGINT' ? 0 : this.options.delayMs
    logger.info({ reason, delay_ms: delayMs, timeout_ms: this.options.timeoutMs }, 'shutdown started')
    if (delayMs > 0) await sleep(delayMs)
    this.draining = true
    const drained = await this.drain([...this.drainables], this.options.timeoutMs)
    if (!drained) logger.warn({ timeout_ms: this.options.timeoutMs }, 'drain timed out, closing remaining connections')
    for (const hook of this.hooks) {
      try {
        await withTimeout(Promise.resolve().then(hook.fn), HOOK_TIMEOUT_MS)
      } catch (error) {
        logger.error({ err: error, hook: hook.name }, 'shutdown hook failed')
      }
    }
    await this.drain([...this.lateDrainables], 1000)
    logger.info({ reason, duration_ms: Math.round(performance.now() - started) }, 'shutdown complete')
    try {
      await withTimeout(this.parts.flush(), HOOK_TIMEOUT_MS)
    } catch {
      // Flushing is best effort: a collector that hangs must not hold the exit.
    }
    this.dispose()
    if (process.exitCode === undefined) process.exitCode = 0
    if (this.options.exit) process.exit()
  }

  private async drain(drainables: Drainable[], timeoutMs: number): Promise<boolean> {
    if (drainables.length === 0) return true
    // Still listening through the grace: every response now closes its connection, so the
    // keep-alive sockets end themselves. Only then stop accepting (node:http's close() also closes
    // idle sockets at once, which is the reset the grace avoids) and close what stayed idle.
    const graceMs = Math.min(IDLE_GRACE_MS, timeoutMs)
    await sleep(graceMs)
    const closed = Promise.all(drainables.map((d) => d.close()))
    for (const d of drainables) d.closeIdle()
    const poll = setInterval(() => {
      for (const d of drainables) d.closeIdle()
    }, POLL_IDLE_MS)
    try {
      await withTimeout(closed, timeoutMs - graceMs)
      return true
    } catch {
      for (const d of drainables) d.closeAll()
      await withTimeout(closed, 1000).catch(() => {})
      return false
    } finally {
      clearInterval(poll)
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
