/**
 * @module instrumentations/cache/breaker
 * A circuit breaker for a cache. A cache that does not answer (a black-holed Redis) costs every
 * call its full command timeout; after `failures` failures in a row the breaker opens and calls
 * fail at once for `openMs`, then one call probes: success closes it, failure opens it again. The
 * application falls back to its database in microseconds instead of waiting out each timeout.
 */
import { ERROR_CODES, SightlineError } from '../../core/errors.js'

export interface BreakerOptions {
  /** Failures in a row that open the circuit. Default 5. */
  failures?: number
  /** How long it stays open before one call probes. Default 5000 ms. */
  openMs?: number
}

export interface BreakerListener {
  opened(fields: { failures: number; open_ms: number; err: unknown }): void
  closed(fields: { outage_ms: number; rejected: number }): void
}

type State = 'closed' | 'open' | 'probing'

/** What an open circuit rejects with: no stack, made once per breaker (it is thrown per call). */
export class CircuitOpenError extends SightlineError {
  constructor(system: string) {
    super(
      ERROR_CODES.SIGHTLINE_ERR_CIRCUIT_OPEN,
      `the ${system} cache is failing: calls fail fast until it answers again`,
    )
    this.name = 'CircuitOpenError'
    this.stack = `${this.name}: ${this.message}`
  }
}

export class Breaker {
  private state: State = 'closed'
  private consecutive = 0
  private openedAt = 0
  private retryAt = 0
  private rejected = 0
  private readonly failures: number
  private readonly openMs: number
  readonly error: CircuitOpenError

  constructor(
    system: string,
    options: BreakerOptions,
    private readonly listener: BreakerListener,
    private readonly now: () => number = Date.now,
  ) {
    this.failures = options.failures ?? 5
    this.openMs = options.openMs ?? 5000
    this.error = new CircuitOpenError(system)
  }

  get isOpen(): boolean {
    return this.state !== 'closed'
  }

  /** True when the call may go to the cache; false when it must fail fast with `error`. */
  allow(): boolean {
    if (this.state === 'closed') return true
    if (this.state === 'open' && this.now() >= this.retryAt) {
      this.state = 'probing'
      return true
    }
    this.rejected++
    return false
  }

  succeeded(): void {
    this.consecutive = 0
    if (this.state === 'closed') return
    const fields = { outage_ms: this.now() - this.openedAt, rejected: this.rejected }
    this.state = 'closed'
    this.rejected = 0
    tell(() => this.listener.closed(fields))
  }

  failed(error: unknown): void {
    const now = this.now()
    if (this.state === 'probing') {
      this.state = 'open'
      this.retryAt = now + this.openMs
      return
    }
    if (this.state === 'open') return
    if (++this.consecutive < this.failures) return
    this.state = 'open'
    this.openedAt = now
    this.retryAt = now + this.openMs
    tell(() => this.listener.opened({ failures: this.consecutive, open_ms: this.openMs, err: error }))
  }
}

function tell(fn: () => void): void {
  try {
    fn()
  } catch {
    // A logger that throws must not fail the cache call.
  }
}
