/**
 * @module deploy/slo-rules
 * Service-level objectives → Prometheus rules, by the multi-window, multi-burn-rate method of
 * Google's SRE workbook (chapter "Alerting on SLOs"), as Sloth and Pyrra generate them:
 *
 * - SLI recording rules: the share of bad requests over each window an alert reads (5m … 3d) and
 *   over the objective's whole period;
 * - metadata: objective, error budget, current and period burn rate, budget remaining;
 * - a page alert (either 2% of the period's budget spent within 1 h, or 5% within 6 h; each checked
 *   again on a short window so the alert clears soon after the problem does) and a ticket alert
 *   (10% within 1 d, or 10% within 3 d).
 *
 * A burn rate is how many times faster than "exactly the budget by the end of the period" errors
 * arrive: `factor = share of budget × period ÷ long window` (14.4, 6, 3 and 1 for 30 days).
 * Record names are Sloth's, so its formulas compare one to one (docs/operations.md); labels are
 * `slo_*` rather than `sloth_*`, this is not Sloth.
 */
import { errorBudget, type Objective, type ServiceObjectives, windowDays } from 'sightline/slo'
import { RUNBOOK_BASE } from './alerts.js'
import * as n from './names.js'
import type { AlertingRule, RecordingRule, RuleGroup } from './types.js'

const COUNT = `${n.METRIC_HTTP_SERVER_DURATION}_count`
const BUCKET = `${n.METRIC_HTTP_SERVER_DURATION}_bucket`

export const LABEL_SLO = 'slo'
export const LABEL_SLO_SLI = 'slo_sli'
export const LABEL_SLO_OBJECTIVE = 'slo_objective'
export const LABEL_SLO_PERIOD = 'slo_period'

/** Every window an alert reads, shortest first. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const
export type SliWindow = (typeof SLI_WINDOWS)[number]

/** `slo:sli_error:ratio_rate5m`: the share of bad requests over a window. */
export function recordSliError(window: string): string {
  return `slo:sli_error:ratio_rate${window}`
}
export const RECORD_OBJECTIVE = 'slo:objective:ratio'
export const RECORD_ERROR_BUDGET = 'slo:error_budget:ratio'
export const RECORD_CURRENT_BURN_RATE = 'slo:current_burn_rate:ratio'
export const RECORD_PERIOD_BURN_RATE = 'slo:period_burn_rate:ratio'
export const RECORD_BUDGET_REMAINING = 'slo:period_error_budget_remaining:ratio'

export const ALERT_PAGE = 'ErrorBudgetBurnPage'
export const ALERT_TICKET = 'ErrorBudgetBurnTicket'

export interface BurnWindow {
  short: SliWindow
  long: SliWindow
  /** Share of the period's error budget spent within `long` that is worth telling someone about. */
  budgetPercent: number
}

/** The workbook's recommended parameters: two page and two ticket conditions. */
export const BURN_WINDOWS: Record<'page' | 'ticket', readonly BurnWindow[]> = {
  page: [
    { short: '5m', long: '1h', budgetPercent: 2 },
    { short: '30m', long: '6h', budgetPercent: 5 },
  ],
  ticket: [
    { short: '2h', long: '1d', budgetPercent: 10 },
    { short: '6h', long: '3d', budgetPercent: 10 },
  ],
}

/** `for:` of each alert: the short window already ignores blips; this only rides out one bad evaluation. */
export const ALERT_FOR = { page: '2m', ticket: '15m' } as const

const HOURS: Record<SliWindow, number> = { '5m': 5 / 60, '30m': 0.5, '1h': 1, '2h': 2, '6h': 6, '1d': 24, '3d': 72 }

/** How many times the sustainable rate a condition fires at: 14.4 for 2% of 30 days within 1 h. */
export function burnRateFactor(objective: Objective, window: BurnWindow): number {
  return Number(
    ((window.budgetPercent / 100) * ((windowDays(objective.window) * 24) / HOURS[window.long])).toPrecision(12),
  )
}

/** The request series an objective counts: its service, and its route and method when given. */
export function selector(service: string, objective: Objective, extra: string[] = []): string {
  // JSON's string escapes are PromQL's: a route with a quote or a backslash stays one matcher.
  const matchers = [`${n.LABEL_JOB}=${JSON.stringify(service)}`]
  if (objective.route !== undefined) matchers.push(`${n.LABEL_HTTP_ROUTE}=${JSON.stringify(objective.route)}`)
  if (objective.method !== undefined) matchers.push(`${n.LABEL_HTTP_METHOD}="${objective.method}"`)
  return `{${[...matchers, ...extra].join(', ')}}`
}

/**
 * The `le` matcher of a bucket bound. Prometheus keeps `le` as scraped: `1` in the text format,
 * `1.0` in OpenMetrics (which Sightline sends once exemplar storage asks for it), so a whole
 * number matches both spellings.
 */
export function leMatcher(bound: number): string {
  return Number.isInteger(bound) ? `le=~"${bound}|${bound}.0"` : `le="${bound}"`
}

/** The share of bad requests over `window`: 5xx for availability, slower than the threshold for latency. */
export function sliErrorExpr(service: string, objective: Objective, window: string): string {
  const by = `sum by (${n.LABEL_JOB})`
  const total = `${by} (rate(${COUNT}${selector(service, objective)}[${window}]))`
  if (objective.sli === 'availability') {
    const errors = `${by} (rate(${COUNT}${selector(service, objective, [`${n.LABEL_HTTP_STATUS}=~"5.."`])}[${window}]))`
    // `or total * 0`: 0, not absent, while there are requests and none failed.
    return `(${errors} or ${total} * 0)\n/ ${total}`
  }
  const threshold = objective.thresholdSeconds as number
  const good = `${by} (rate(${BUCKET}${selector(service, objective, [leMatcher(threshold)])}[${window}]))`
  return `1 - (${good}\n/ ${total})`
}

function sloLabels(objective: Objective): Record<string, string> {
  return { [LABEL_SLO]: objective.name, [LABEL_SLO_SLI]: objective.sli }
}

/** Labels that say what was promised, on the metadata and the alerts. */
export function objectiveLabels(objective: Objective): Record<string, string> {
  return {
    ...sloLabels(objective),
    [LABEL_SLO_OBJECTIVE]: String(objective.objective),
    [LABEL_SLO_PERIOD]: objective.window,
  }
}

/** `slo:sli_error:ratio_rate1h{slo="payments-availability"}` */
export function sliSeries(objective: Objective, window: string): string {
  return `${recordSliError(window)}{${LABEL_SLO}="${objective.name}"}`
}

function condition(objective: Objective, window: BurnWindow): string {
  const threshold = `${burnRateFactor(objective, window)} * ${errorBudget(objective)}`
  return `(\n  ${sliSeries(objective, window.short)} > ${threshold}\n  and\n  ${sliSeries(objective, window.long)} > ${threshold}\n)`
}

function what(objective: Objective): string {
  const route = objective.route === undefined ? 'all routes' : `${objective.method ?? ''} ${objective.route}`.trim()
  return objective.sli === 'availability'
    ? `requests to ${route} answered 5xx`
    : `requests to ${route} took longer than ${(objective.thresholdSeconds as number) * 1000} ms`
}

function alert(objective: Objective, severity: 'page' | 'ticket'): AlertingRule {
  const windows = BURN_WINDOWS[severity]
  const factors = windows.map((window) => `${burnRateFactor(objective, window)}×`).join(' or ')
  const name = severity === 'page' ? ALERT_PAGE : ALERT_TICKET
  const runbook =
    objective.sli === 'availability'
      ? 'Open the SLO dashboard for the burn per window, then the service overview: find the failing route and status in the Routes table, follow an exemplar to a failing trace and read its error span and log lines. Roll back a recent deploy first if the burn started with it.'
      : 'Open the SLO dashboard for the burn per window, then the latency panel of the service overview: click an exemplar above the threshold to open a slow trace and see which span takes the time (database, cache, downstream). Check event-loop delay and CPU.'
  return {
    alert: name,
    expr: windows.map((window) => condition(objective, window)).join('\nor\n'),
    for: ALERT_FOR[severity],
    labels: { severity: severity === 'page' ? 'critical' : 'warning', ...objectiveLabels(objective) },
    annotations: {
      summary: `{{ $labels.job }}: ${objective.name} is burning its error budget ${factors} faster than the objective allows`,
      description: `{{ $value | humanizePercentage }} of ${what(objective)} over the short window; the objective (${objective.objective}% over ${objective.window}) allows ${errorBudget(objective) * 100}%.`,
      runbook,
      runbook_url: `${RUNBOOK_BASE}#${name.toLowerCase()}`,
    },
  }
}

/** One rule group per objective: SLIs, metadata and the two alerts, evaluated in that order. */
export function sloRuleGroup(service: string, objective: Objective): RuleGroup {
  const budget = errorBudget(objective)
  const windows = [...SLI_WINDOWS, objective.window]
  const slis: RecordingRule[] = windows.map((window) => ({
    record: recordSliError(window),
    expr: sliErrorExpr(service, objective, window),
    labels: sloLabels(objective),
  }))
  // A fresh object each: shared ones would be written as YAML anchors and aliases.
  const meta = () => ({ [n.LABEL_JOB]: service, ...objectiveLabels(objective) })
  const metadata: RecordingRule[] = [
    {
      record: RECORD_OBJECTIVE,
      expr: `vector(${Number((objective.objective / 100).toPrecision(12))})`,
      labels: meta(),
    },
    { record: RECORD_ERROR_BUDGET, expr: `vector(${budget})`, labels: meta() },
    { record: RECORD_CURRENT_BURN_RATE, expr: `${sliSeries(objective, '5m')}\n/ ${budget}`, labels: meta() },
    { record: RECORD_PERIOD_BURN_RATE, expr: `${sliSeries(objective, objective.window)}\n/ ${budget}`, labels: meta() },
    {
      record: RECORD_BUDGET_REMAINING,
      expr: `1 - ${RECORD_PERIOD_BURN_RATE}{${LABEL_SLO}="${objective.name}"}`,
      labels: meta(),
    },
  ]
  return {
    name: `sightline-slo-${objective.name}`,
    rules: [...slis, ...metadata, alert(objective, 'page'), alert(objective, 'ticket')],
  }
}

/** Every declared objective's group. */
export function sloRuleGroups(declarations: readonly ServiceObjectives[]): RuleGroup[] {
  return declarations.flatMap((declaration) =>
    declaration.objectives.map((objective) => sloRuleGroup(declaration.service, objective)),
  )
}
