/**
 * @module deploy/slo-rule-tests
 * `promtool test rules` cases for the objectives' burn-rate alerts, generated with the rules from
 * the same declaration (doctor-api's slo.yaml). The traffic is written as multiples of the error
 * budget, so the cases hold for whatever objective is declared: a 20× burn (2% errors at 99.9%)
 * pages within minutes of a fresh start, and about 43 minutes into an outage after six clean hours
 * (the 1 h window must reach 14.4×); a 2× burn never pages and raises a ticket only once the 3-day
 * window has seen 1× (36 hours after three clean days); 0.5× never alerts; and a latency
 * regression past the threshold pages.
 */
import { errorBudget, type Objective, type ServiceObjectives } from 'sightline/slo'
import * as n from './names.js'
import type { AlertCheck, Series, TestCase } from './rule-tests.js'
import { declaredObjectives } from './slo-declarations.js'
import {
  ALERT_PAGE,
  ALERT_TICKET,
  objectiveLabels,
  RECORD_BUDGET_REMAINING,
  RECORD_CURRENT_BURN_RATE,
  recordSliError,
  sloRuleGroup,
} from './slo-rules.js'
import type { AlertingRule } from './types.js'

/** Requests a minute in every case: large enough that 0.05% is a whole number. */
const PER_MINUTE = 10_000
/** Sample and evaluation interval of the multi-day file. */
const LONG_INTERVAL = '10m'

function series(metric: string, set: Record<string, string>, values: string): Series {
  const labels = Object.entries(set)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ')
  return { series: `${metric}{${labels}}`, values }
}

/** `clean` minutes at `perMinute`, then `bad` minutes at `thenPerMinute`: promtool's expanding notation. */
function counter(clean: number, perMinute: number, bad: number, thenPerMinute: number): string {
  const head = `0+${perMinute}x${clean}`
  if (bad === 0) return head
  const start = clean * perMinute + thenPerMinute
  return `${head} ${start}+${thenPerMinute}x${bad - 1}`
}

function routeLabels(service: string, objective: Objective, status: string): Record<string, string> {
  return {
    [n.LABEL_JOB]: service,
    [n.LABEL_HTTP_ROUTE]: objective.route ?? '/any',
    [n.LABEL_HTTP_METHOD]: objective.method ?? 'POST',
    [n.LABEL_HTTP_STATUS]: status,
  }
}

/** Availability traffic: `burn` × the error budget fails with a 503 after `clean` good minutes. */
function availabilityTraffic(
  service: string,
  objective: Objective,
  clean: number,
  bad: number,
  burn: number,
  minutesPerSample = 1,
): Series[] {
  const perSample = PER_MINUTE * minutesPerSample
  const errors = Math.round(perSample * errorBudget(objective) * burn)
  if (errors <= 0 || errors > perSample) throw new Error(`a ${burn}× burn of ${objective.name} is not a request share`)
  const count = `${n.METRIC_HTTP_SERVER_DURATION}_count`
  return [
    series(count, routeLabels(service, objective, '200'), counter(clean, perSample, bad, perSample - errors)),
    series(count, routeLabels(service, objective, '503'), counter(clean, 0, bad, errors)),
  ]
}

/** Latency traffic: after `clean` minutes with every request under 100 ms, `slowShare` take 0.25–0.5 s. */
function latencyTraffic(
  service: string,
  objective: Objective,
  buckets: readonly number[],
  clean: number,
  bad: number,
  slowShare: number,
): Series[] {
  const threshold = objective.thresholdSeconds as number
  const slow = Math.round(PER_MINUTE * slowShare)
  const labels = routeLabels(service, objective, '200')
  const bucket = `${n.METRIC_HTTP_SERVER_DURATION}_bucket`
  const out = [...buckets.map(String), '+Inf'].map((le) =>
    series(
      bucket,
      { ...labels, le },
      counter(clean, PER_MINUTE, bad, le !== '+Inf' && Number(le) <= threshold ? PER_MINUTE - slow : PER_MINUTE),
    ),
  )
  out.push(series(`${n.METRIC_HTTP_SERVER_DURATION}_count`, labels, counter(clean, PER_MINUTE, bad, PER_MINUTE)))
  return out
}

function quiet(alertname: string, at: string): AlertCheck {
  return { eval_time: at, alertname, exp_alerts: [] }
}

function fires(rule: AlertingRule, service: string, at: string, share: string): AlertCheck {
  return {
    eval_time: at,
    alertname: rule.alert,
    exp_alerts: [
      {
        exp_labels: { [n.LABEL_JOB]: service, ...rule.labels },
        exp_annotations: {
          summary: rule.annotations.summary.replace('{{ $labels.job }}', service),
          description: rule.annotations.description.replace('{{ $value | humanizePercentage }}', share),
          runbook: rule.annotations.runbook,
          runbook_url: rule.annotations.runbook_url,
        },
      },
    ],
  }
}

function alertsOf(service: string, objective: Objective): { page: AlertingRule; ticket: AlertingRule } {
  const rules = sloRuleGroup(service, objective).rules
  const find = (name: string) => rules.find((rule): rule is AlertingRule => 'alert' in rule && rule.alert === name)
  const page = find(ALERT_PAGE)
  const ticket = find(ALERT_TICKET)
  if (page === undefined || ticket === undefined) throw new Error(`no alerts for ${objective.name}`)
  return { page, ticket }
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`
}

function availabilityCases(service: string, objective: Objective): TestCase[] {
  const { page, ticket } = alertsOf(service, objective)
  const budget = errorBudget(objective)
  const labels = { [n.LABEL_JOB]: service, ...objectiveLabels(objective) }
  const seriesLabels = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ')
  return [
    {
      name: `${objective.name}: ${percent(20 * budget)} errors (20× burn) from the first minute page within 5 minutes, no ticket yet`,
      interval: '1m',
      input_series: availabilityTraffic(service, objective, 0, 30, 20),
      alert_rule_test: [
        quiet(page.alert, '2m'),
        fires(page, service, '5m', percent(20 * budget)),
        quiet(ticket.alert, '5m'),
      ],
      promql_expr_test: [
        {
          expr: `round(${RECORD_CURRENT_BURN_RATE}{slo="${objective.name}"}, 0.01)`,
          eval_time: '5m',
          exp_samples: [{ labels: `{${seriesLabels}}`, value: 20 }],
        },
        {
          expr: `round(${RECORD_BUDGET_REMAINING}{slo="${objective.name}"}, 0.01)`,
          eval_time: '5m',
          exp_samples: [{ labels: `{${seriesLabels}}`, value: -19 }],
        },
      ],
    },
    {
      name: `${objective.name}: after 6 clean hours, ${percent(20 * budget)} errors page once the 1 h window reaches 14.4× (about 43 minutes), not before`,
      interval: '1m',
      input_series: availabilityTraffic(service, objective, 360, 60, 20),
      alert_rule_test: [quiet(page.alert, '400m'), fires(page, service, '410m', percent(20 * budget))],
    },
    {
      name: `${objective.name}: ${percent(0.5 * budget)} errors (0.5× burn) stay silent`,
      interval: '1m',
      input_series: availabilityTraffic(service, objective, 0, 6 * 60, 0.5),
      alert_rule_test: [
        quiet(page.alert, '10m'),
        quiet(ticket.alert, '10m'),
        quiet(page.alert, '6h'),
        quiet(ticket.alert, '6h'),
      ],
    },
  ]
}

/**
 * The multi-day case, in a file of its own evaluated every 10 minutes: at one evaluation a minute
 * promtool takes minutes over five days of 3 d and 30 d windows. Ten minutes is below every window
 * the ticket reads (2 h, 1 d; 6 h, 3 d); the 5 m window has no two samples, so of the page's
 * conditions only 30 m with 6 h is exercised here (the other cases cover 5 m with 1 h).
 */
function ticketCases(service: string, objective: Objective): TestCase[] {
  const { page, ticket } = alertsOf(service, objective)
  const budget = errorBudget(objective)
  return [
    {
      name: `${objective.name}: ${percent(2 * budget)} errors (2× burn) after 3 clean days never page; a ticket only once the 3 d window reaches 1× (36 hours)`,
      interval: LONG_INTERVAL,
      input_series: availabilityTraffic(service, objective, (3 * 1440) / 10, (37 * 60) / 10, 2, 10),
      alert_rule_test: [
        quiet(ticket.alert, '96h'),
        quiet(page.alert, '96h'),
        fires(ticket, service, '109h', percent(2 * budget)),
        quiet(page.alert, '109h'),
      ],
    },
  ]
}

function latencyCases(service: string, objective: Objective, buckets: readonly number[]): TestCase[] {
  const { page } = alertsOf(service, objective)
  const threshold = objective.thresholdSeconds as number
  return [
    {
      name: `${objective.name}: after 6 hours under ${threshold} s, half the requests slower than it page once the 1 h window reaches 14.4×`,
      interval: '1m',
      input_series: latencyTraffic(service, objective, buckets, 360, 40, 0.5),
      alert_rule_test: [quiet(page.alert, '360m'), quiet(page.alert, '375m'), fires(page, service, '385m', '50%')],
      promql_expr_test: [
        {
          expr: `${recordSliError('5m')}{slo="${objective.name}"}`,
          eval_time: '385m',
          exp_samples: [
            {
              labels: `${recordSliError('5m')}{${n.LABEL_JOB}="${service}", slo="${objective.name}", slo_sli="latency"}`,
              value: 0.5,
            },
          ],
        },
      ],
    },
  ]
}

/** The minute-by-minute cases of one service's objectives. */
export function sloRuleTests(declaration: ServiceObjectives): TestCase[] {
  return declaration.objectives.flatMap((objective) =>
    objective.sli === 'availability'
      ? availabilityCases(declaration.service, objective)
      : latencyCases(declaration.service, objective, declaration.buckets),
  )
}

/** File name (under deploy/prometheus/tests/) → contents. */
export function sloRuleTestFiles(): Record<string, Record<string, unknown>> {
  const declarations = declaredObjectives()
  return {
    'sightline-slo.test.yml': {
      rule_files: ['../rules/sightline-slo.yml'],
      evaluation_interval: '1m',
      tests: declarations.flatMap(sloRuleTests),
    },
    'sightline-slo-days.test.yml': {
      rule_files: ['../rules/sightline-slo.yml'],
      evaluation_interval: LONG_INTERVAL,
      tests: declarations.flatMap((declaration) =>
        declaration.objectives
          .filter((objective) => objective.sli === 'availability')
          .flatMap((objective) => ticketCases(declaration.service, objective)),
      ),
    },
  }
}
