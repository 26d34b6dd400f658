/**
 * @module viewer/slo
 * Declared service-level objectives (a service's slo.yaml, `sightline viewer --slo <file>`) and the
 * burn the viewer computes for each from the server spans it receives: over the last 5 minutes,
 * 1 hour and 6 hours, the share of bad requests (5xx for availability, slower than the threshold
 * for latency) divided by the error budget, as the operations kit's Prometheus rules compute it
 * from the request-duration histogram. Spans carry no sampling probability, so every received span
 * counts once: with a sampling ratio below 1 (or a tail sampler that keeps errors) the figures are
 * those of the received spans, and the API and the panel say so. Bounded: one counter pair per
 * minute for 6 hours per objective, objectives as declared.
 */
import { readFileSync } from 'node:fs'
import { errorBudget, type Objective, parseObjectives, type ServiceObjectives } from 'sightline/slo'
import { parse } from 'yaml'
import { SPAN_KIND_SERVER, type ViewerSpan } from './model.js'
import { MAX_CLOCK_SKEW_MS } from './stats.js'

const MINUTE_MS = 60_000
/** The windows shown, in minutes: the page alert's short and long windows, and the slow page's long one. */
export const SLO_WINDOWS = [
  { window: '5m', minutes: 5 },
  { window: '1h', minutes: 60 },
  { window: '6h', minutes: 360 },
] as const
const BUCKETS = 360

export const SLO_BASIS = 'received server spans (each counted once: spans carry no sampling probability)'

export interface WindowBurn {
  window: string
  requests: number
  bad: number
  /** Bad share of the window's requests; 0 without requests. */
  badRatio: number
  /** `badRatio` ÷ the error budget: 1 spends the budget exactly by the end of the objective's period. */
  burnRate: number
}

export interface ObjectiveBurn extends Objective {
  service: string
  /** The error budget as a ratio (0.001 for 99.9). */
  budget: number
  windows: WindowBurn[]
}

interface Tracked {
  service: string
  objective: Objective
  budget: number
  /** Per-minute counts, indexed by minute modulo BUCKETS. */
  minute: Float64Array
  requests: Float64Array
  bad: Float64Array
}

/** Reads and validates a declaration file (YAML), with errors naming the file and the key. */
export function loadObjectives(path: string): ServiceObjectives {
  return parseObjectives(parse(readFileSync(path, 'utf8')), path)
}

/**
 * @example
 * const slo = new SloTracker([loadObjectives('slo.yaml')]); slo.record(spans, Date.now()); slo.summary(Date.now())
 */
export class SloTracker {
  private readonly tracked: Tracked[]

  constructor(declarations: readonly ServiceObjectives[]) {
    this.tracked = declarations.flatMap((declaration) =>
      declaration.objectives.map((objective) => ({
        service: declaration.service,
        objective,
        budget: errorBudget(objective),
        minute: new Float64Array(BUCKETS).fill(-1),
        requests: new Float64Array(BUCKETS),
        bad: new Float64Array(BUCKETS),
      })),
    )
  }

  get size(): number {
    return this.tracked.length
  }

  record(spans: readonly ViewerSpan[], nowMs: number): void {
    if (this.tracked.length === 0) return
    for (const span of spans) {
      if (span.kind !== SPAN_KIND_SERVER || !Number.isFinite(span.startMs)) continue
      if (span.startMs > nowMs + MAX_CLOCK_SKEW_MS) continue
      for (const tracked of this.tracked) {
        if (!matches(tracked, span)) continue
        const minute = Math.floor(span.startMs / MINUTE_MS)
        const slot = minute % BUCKETS
        if (tracked.minute[slot] !== minute) {
          if ((tracked.minute[slot] as number) > minute) continue // older than the longest window
          tracked.minute[slot] = minute
          tracked.requests[slot] = 0
          tracked.bad[slot] = 0
        }
        tracked.requests[slot] = (tracked.requests[slot] as number) + 1
        if (isBad(tracked.objective, span)) tracked.bad[slot] = (tracked.bad[slot] as number) + 1
      }
    }
  }

  summary(nowMs: number): ObjectiveBurn[] {
    const current = Math.floor(nowMs / MINUTE_MS)
    return this.tracked.map((tracked) => ({
      service: tracked.service,
      ...tracked.objective,
      budget: tracked.budget,
      windows: SLO_WINDOWS.map(({ window, minutes }) => {
        let requests = 0
        let bad = 0
        for (let slot = 0; slot < BUCKETS; slot++) {
          const minute = tracked.minute[slot] as number
          if (minute > current - minutes && minute <= current + MAX_CLOCK_SKEW_MS / MINUTE_MS) {
            requests += tracked.requests[slot] as number
            bad += tracked.bad[slot] as number
          }
        }
        const badRatio = requests === 0 ? 0 : bad / requests
        return { window, requests, bad, badRatio, burnRate: badRatio / tracked.budget }
      }),
    }))
  }
}

function matches(tracked: Tracked, span: ViewerSpan): boolean {
  if (span.service !== tracked.service) return false
  const { route, method } = tracked.objective
  if (route !== undefined && span.route !== route) return false
  return method === undefined || span.attributes['http.request.method'] === method
}

/** 5xx for availability; for latency, slower than the threshold (the histogram's `le` bucket holds ≤ it). */
function isBad(objective: Objective, span: ViewerSpan): boolean {
  if (objective.sli === 'availability') return span.httpStatus >= 500
  return span.durationMs > (objective.thresholdSeconds as number) * 1000
}
