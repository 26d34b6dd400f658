/**
 * @module health
 * Liveness (the process alone) and readiness (registered checks, run in parallel, each with its own
 * timeout, results cached briefly and exported as metrics).
 */
import { performance } from 'node:perf_hooks'
import { METRIC_READINESS_DURATION, METRIC_READINESS_UP } from '../constants.js'
import { SightlineError, SightlineOptionError } from '../errors.js'
import type { Gauge } from '../metrics/gauge.js'
import type { Registry } from '../metrics/registry.js'

/** A readiness check. It receives a signal that aborts at its timeout; throw or reject to fail. */
export type CheckFunction = (signal: AbortSignal) => unknown | Promise<unknown>

export interface CheckOptions {
  /** Longest the check may take before it counts as failed. Default 1000 ms (fits the kubelet's 1 s probe). */
  timeoutMs?: number
  /** A failing critical check makes the service not ready (503); a failing other one only degrades it. Default true. */
  critical?: boolean
}

export type CheckStatus = 'ok' | 'fail' | 'timeout'

export interface CheckResult {
  status: CheckStatus
  critical: boolean
  duration_ms: number
  error?: string
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not_ready' | 'shutting_down'
  checks: Record<string, CheckResult>
}

interface Check {
  name: string
  fn: CheckFunction
  timeoutMs: number
  critical: boolean
  lastStatus: CheckStatus | undefined
}

export interface HealthOptions {
  /** How long a readiness result is reused, so a burst of probes runs the checks once. */
  cacheMs: number
  /** Put the checks' error messages in the public body. Off: they may name hosts or credentials. */
  exposeErrors: boolean
  /** Told when a check changes state. */
  onChange: (name: string, result: CheckResult) => void
}

export class Health {
  private readonly checks = new Map<string, Check>()
  private readonly options: HealthOptions
  private readonly up: Gauge
  private readonly duration: Gauge
  private shuttingDown = false
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined
  readonly startedAt = Date.now()

  constructor(registry: Registry, options: HealthOptions) {
    this.options = options
    this.up = registry.gauge({
      name: METRIC_READINESS_UP,
      help: 'Whether a readiness check passed at its last run (1) or not (0).',
      labelNames: ['check', 'critical'],
      // Across processes: down if any process' check is down.
      aggregate: 'min',
    })
    this.duration = registry.gauge({
      name: METRIC_READINESS_DURATION,
      help: 'How long a readiness check took at its last run, in seconds.',
      labelNames: ['check'],
      aggregate: 'max',
    })
  }

  /**
   * Registers a readiness check.
   * @example health.addCheck('postgres', () => pool.query('SELECT 1'), { timeoutMs: 500 })
   */
  addCheck(name: string, fn: CheckFunction, options: CheckOptions = {}): void {
    if (this.checks.has(name)) throw new SightlineError('SIGHTLINE_ERR_CHECK_EXISTS', `check "${name}" exists`)
    if (typeof fn !== 'function') throw new SightlineOptionError(`addCheck(${name})`, 'a function', fn)
    const timeoutMs = options.timeoutMs ?? 1000
    if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) {
      throw new SightlineOptionError(`addCheck(${name}).timeoutMs`, 'a positive number of milliseconds', timeoutMs)
    }
    this.checks.set(name, { name, fn, timeoutMs, critical: options.critical ?? true, lastStatus: undefined })
    this.cached = undefined
  }

  removeCheck(name: string): void {
    this.checks.delete(name)
    this.cached = undefined
  }

  /** From now on readiness answers `shutting_down` (503), without running checks. */
  markShuttingDown(): void {
    this.shuttingDown = true
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown
  }

  liveness(): { status: 'ok'; uptime_seconds: number } {
    return { status: 'ok', uptime_seconds: Math.round((Date.now() - this.startedAt) / 1000) }
  }

  readiness(): Promise<ReadinessReport> {
    if (this.shuttingDown) return Promise.resolve({ status: 'shutting_down', checks: {} })
    const now = Date.now()
    if (this.cached !== undefined && now - this.cached.at < this.options.cacheMs) return this.cached.report
    const report = this.run()
    this.cached = { at: now, report }
    return report
  }

  private async run(): Promise<ReadinessReport> {
    const checks = [...this.checks.values()]
    const results = await Promise.all(checks.map((check) => this.runOne(check)))
    const out: Record<string, CheckResult> = {}
    let criticalFailed = false
    let otherFailed = false
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i] as Check
      const result = results[i] as CheckResult
      out[check.name] = result
      if (result.status !== 'ok') {
        if (check.critical) criticalFailed = true
        else otherFailed = true
      }
    }
    if (this.shuttingDown) return { status: 'shutting_down', checks: out }
    return { status: criticalFailed ? 'not_ready' : otherFailed ? 'degraded' : 'ready', checks: out }
  }

  private async runOne(check: Check): Promise<CheckResult> {
    const start = performance.now()
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<CheckStatus>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`check timed out after ${check.timeoutMs} ms`))
        resolve('timeout')
      }, check.timeoutMs)
      timer.unref()
    })
    let error: string | undefined
    const attempt = (async (): Promise<CheckStatus> => {
      try {
        await check.fn(controller.signal)
        return 'ok'
      } catch (cause) {
        error = cause instanceof Error ? cause.message : String(cause)
        return 'fail'
      }
    })()
    const status = await Promise.race([attempt, timeout])
    clearTimeout(timer)
    const seconds = (performance.now() - start) / 1000
    const result: CheckResult = { status, critical: check.critical, duration_ms: Math.round(seconds * 10000) / 10 }
    if (status === 'timeout') error = `timed out after ${check.timeoutMs} ms`
    if (this.options.exposeErrors && error !== undefined) result.error = error
    this.up.set({ check: check.name, critical: String(check.critical) }, status === 'ok' ? 1 : 0)
    this.duration.set({ check: check.name }, seconds)
    if (check.lastStatus !== status) {
      check.lastStatus = status
      this.options.onChange(check.name, error === undefined ? result : { ...result, error })
    }
    return result
  }
}
