/**
 * @module core/objectives
 * Service-level objectives as data: what a service promises (availability: the share of requests
 * not answered 5xx; latency: the share answered within a threshold), per service and optionally
 * per route, over a window of days. The operations kit turns a declaration into Prometheus rules,
 * alerts and dashboards; the viewer shows it with the burn it computes from received spans. Both
 * read the same declaration through `parseObjectives`, so a declaration one accepts the other does.
 */
import { HTTP_DURATION_BUCKETS } from './constants.js'
import { ERROR_CODES, SightlineError } from './errors.js'

export type SliKind = 'availability' | 'latency'

export interface Objective {
  /** Identifies the objective in rule labels (`slo="…"`) and alerts: lower-case letters, digits, dashes. */
  name: string
  sli: SliKind
  /** `http_route` to measure (the route template, e.g. `/api/patients/:id`); every route when absent. */
  route?: string
  /** `http_request_method` to measure; every method when absent. */
  method?: string
  /** Percent of good requests promised, strictly between 0 and 100 (99.9 leaves a 0.1% error budget). */
  objective: number
  /** The period the objective (and its error budget) is counted over, in whole days: `30d`. */
  window: string
  /** Latency only: a request slower than this many seconds is bad. Must be a bucket bound of the duration histogram. */
  thresholdSeconds?: number
  description?: string
}

export interface ServiceObjectives {
  /** The service: its `service.name`, which is also the Prometheus `job` that scrapes it. */
  service: string
  /** The request-duration histogram's bucket bounds (the `httpBuckets` option); the library's default when absent. */
  buckets: readonly number[]
  objectives: Objective[]
}

/** Windows the multi-window, multi-burn-rate alerts read: the longest is 3 days, so a shorter period makes no sense. */
export const MIN_WINDOW_DAYS = 3
const MAX_WINDOW_DAYS = 366

const SERVICE_KEYS = ['service', 'buckets', 'objectives'] as const
const OBJECTIVE_KEYS = [
  'name',
  'sli',
  'route',
  'method',
  'objective',
  'window',
  'thresholdSeconds',
  'description',
] as const

function fail(source: string, where: string, message: string): never {
  throw new SightlineError(ERROR_CODES.SIGHTLINE_ERR_SLO_DECLARATION, `${source}: ${where} ${message}`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkKeys(source: string, where: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(source, where, `has an unknown key "${key}" (known: ${known.join(', ')})`)
  }
}

function text(source: string, where: string, value: unknown, pattern?: RegExp): string {
  if (typeof value !== 'string' || value === '')
    fail(source, where, `must be a non-empty string, received ${show(value)}`)
  if (pattern !== undefined && !pattern.test(value))
    fail(source, where, `must match ${pattern}, received ${show(value)}`)
  return value
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** `30d` → 30. */
export function windowDays(window: string): number {
  const match = /^(\d+)d$/.exec(window)
  return match === null ? Number.NaN : Number(match[1])
}

function objectiveOf(source: string, where: string, value: unknown, buckets: readonly number[]): Objective {
  if (!isRecord(value)) fail(source, where, `must be a mapping, received ${show(value)}`)
  checkKeys(source, where, value, OBJECTIVE_KEYS)
  const name = text(source, `${where}.name`, value.name, /^[a-z0-9][a-z0-9-]*$/)
  const sli = value.sli
  if (sli !== 'availability' && sli !== 'latency') {
    fail(source, `${where}.sli`, `must be "availability" or "latency", received ${show(sli)}`)
  }
  const objective = value.objective
  if (typeof objective !== 'number' || !(objective > 0 && objective < 100)) {
    fail(source, `${where}.objective`, `must be a percentage strictly between 0 and 100, received ${show(objective)}`)
  }
  const window = text(source, `${where}.window`, value.window)
  const days = windowDays(window)
  if (!(days >= MIN_WINDOW_DAYS && days <= MAX_WINDOW_DAYS)) {
    fail(
      source,
      `${where}.window`,
      `must be whole days from ${MIN_WINDOW_DAYS}d to ${MAX_WINDOW_DAYS}d, received ${show(window)}`,
    )
  }
  const out: Objective = { name, sli, objective, window }
  if (value.route !== undefined) out.route = text(source, `${where}.route`, value.route, /^\//)
  if (value.method !== undefined) out.method = text(source, `${where}.method`, value.method, /^[A-Z]+$/)
  if (value.description !== undefined) out.description = text(source, `${where}.description`, value.description)
  if (sli === 'latency') {
    const threshold = value.thresholdSeconds
    if (typeof threshold !== 'number' || !buckets.includes(threshold)) {
      fail(
        source,
        `${where}.thresholdSeconds`,
        `must be one of the request-duration histogram's bucket bounds (${buckets.join(', ')}), received ${show(threshold)}`,
      )
    }
    out.thresholdSeconds = threshold
  } else if (value.thresholdSeconds !== undefined) {
    fail(source, `${where}.thresholdSeconds`, 'is for latency objectives only')
  }
  return out
}

/**
 * Validates a declaration (the parsed YAML, or an object written in code) and returns it with its
 * defaults. `source` names it in every error (`examples/doctor-api/slo.yaml: objectives[1].window …`).
 * @example parseObjectives({ service: 'api', objectives: [{ name: 'up', sli: 'availability', objective: 99.9, window: '30d' }] })
 */
export function parseObjectives(value: unknown, source = 'objectives'): ServiceObjectives {
  if (!isRecord(value)) fail(source, 'the declaration', `must be a mapping, received ${show(value)}`)
  checkKeys(source, 'the declaration', value, SERVICE_KEYS)
  const service = text(source, 'service', value.service)
  let buckets: readonly number[] = HTTP_DURATION_BUCKETS
  if (value.buckets !== undefined) {
    const given = value.buckets
    if (
      !Array.isArray(given) ||
      given.length === 0 ||
      !given.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > given[i - 1]))
    ) {
      fail(source, 'buckets', 'must be the histogram bucket bounds: positive numbers, ascending')
    }
    buckets = given as number[]
  }
  const list = value.objectives
  if (!Array.isArray(list) || list.length === 0) fail(source, 'objectives', 'must be a non-empty list')
  const objectives = list.map((entry, i) => objectiveOf(source, `objectives[${i}]`, entry, buckets))
  const names = new Set<string>()
  for (const objective of objectives) {
    if (names.has(objective.name)) fail(source, 'objectives', `name "${objective.name}" is declared twice`)
    names.add(objective.name)
  }
  return { service, buckets, objectives }
}

/** The error budget as a ratio: 99.9 → 0.001 (rounded so 100 − 99.9 does not print as 0.0999…). */
export function errorBudget(objective: Objective): number {
  return Number(((100 - objective.objective) / 100).toPrecision(12))
}
