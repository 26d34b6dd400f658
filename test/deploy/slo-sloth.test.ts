/**
 * @module test/deploy/slo-sloth
 * The generator's rules against Sloth's documented output for the same objective: Sloth's
 * getting-started example (99.9% availability over 30 days; examples/_gen/getting-started.yml in
 * github.com/slok/sloth) and its default 30-day alert windows (internal/alert/windows/google-30d.yaml,
 * the SRE workbook's parameters). The facts below are transcribed from those files: record names,
 * SLI windows, metadata formulas, and the (short, long, factor) of each alert condition. What
 * differs on purpose is listed at the end and explained in docs/operations.md.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { type AlertingRule, type RecordingRule, sloRuleGroup } from '@sightline/deploy'
import { errorBudget, parseObjectives } from 'sightline/slo'
import { stringify } from 'yaml'
import { DEPLOY, PROMTOOL, run } from './tools.js'

/** Sloth's documented output for `objective: 99.9` over its default 30-day period. */
const SLOTH = {
  sliRecord: (window: string) => `slo:sli_error:ratio_rate${window}`,
  sliWindows: ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'],
  /** record → the value Sloth's expression computes, in terms of the SLI records and the objective. */
  metadata: {
    'slo:objective:ratio': 'vector(objective)',
    'slo:error_budget:ratio': 'vector(1 - objective)',
    'slo:current_burn_rate:ratio': 'sli 5m / error budget',
    'slo:period_burn_rate:ratio': 'sli 30d / error budget',
    'slo:period_error_budget_remaining:ratio': '1 - period burn rate',
  },
  /** Budget share per condition (google-30d.yaml) and the factor Sloth derives: share × 30d ÷ long window. */
  page: [
    { short: '5m', long: '1h', budgetPercent: 2, factor: 14.4 },
    { short: '30m', long: '6h', budgetPercent: 5, factor: 6 },
  ],
  ticket: [
    { short: '2h', long: '1d', budgetPercent: 10, factor: 3 },
    { short: '6h', long: '3d', budgetPercent: 10, factor: 1 },
  ],
  /** Sloth writes each threshold as `factor * (1 - objective)`: `> (14.4 * 0.0009999999999999432)`. */
  budget: 0.001,
}

const declaration = parseObjectives(
  {
    service: 'myservice',
    objectives: [{ name: 'requests-availability', sli: 'availability', objective: 99.9, window: '30d' }],
  },
  'sloth getting-started',
)
const objective = declaration.objectives[0]
if (objective === undefined) throw new Error('no objective')
const group = sloRuleGroup(declaration.service, objective)
const records = group.rules.filter((rule): rule is RecordingRule => 'record' in rule)
const alerts = group.rules.filter((rule): rule is AlertingRule => 'alert' in rule)

/** (short, long, factor) of every `a > f * b and c > f * b` pair of an alert expression. */
function conditions(expr: string): { short: string; long: string; factor: number; budget: number }[] {
  const pairs = [
    ...expr.matchAll(
      /slo:sli_error:ratio_rate(\w+)\{[^}]*\} > ([\d.]+) \* ([\d.]+)\s+and\s+slo:sli_error:ratio_rate(\w+)\{[^}]*\} > ([\d.]+) \* ([\d.]+)/g,
    ),
  ]
  return pairs.map((match) => {
    assert.equal(match[2], match[5], 'both windows of a pair compare with the same factor')
    return { short: match[1] as string, long: match[4] as string, factor: Number(match[2]), budget: Number(match[3]) }
  })
}

describe('the generator against Sloth for the same objective (99.9% over 30d)', () => {
  test('the same SLI records over the same windows', () => {
    const sli = records.filter((rule) => rule.record.startsWith('slo:sli_error:'))
    assert.deepEqual(
      sli.map((rule) => rule.record),
      SLOTH.sliWindows.map(SLOTH.sliRecord),
    )
  })

  test('the SLI is the share of 5xx over each window: errors ÷ total, both summed rates', () => {
    const fiveMinutes = records.find((rule) => rule.record === SLOTH.sliRecord('5m'))
    assert.ok(fiveMinutes)
    // Sloth: (sum(rate(errors[5m]))) / (sum(rate(total[5m]))); ours keeps `job` and fills 0 for no errors.
    assert.match(fiveMinutes.expr, /rate\(http_server_request_duration_seconds_count\{[^}]*=~"5\.\."\}\[5m\]\)/)
    assert.match(
      fiveMinutes.expr,
      /\n\/ sum by \(job\) \(rate\(http_server_request_duration_seconds_count\{[^}]*\}\[5m\]\)\)$/,
    )
  })

  test('the same metadata records with the same formulas', () => {
    const byName = new Map(records.map((rule) => [rule.record, rule.expr]))
    assert.deepEqual(
      [...byName.keys()].filter((name) => !name.startsWith('slo:sli_error:')),
      Object.keys(SLOTH.metadata),
    )
    assert.equal(byName.get('slo:objective:ratio'), 'vector(0.999)')
    assert.equal(byName.get('slo:error_budget:ratio'), `vector(${SLOTH.budget})`)
    assert.match(byName.get('slo:current_burn_rate:ratio') ?? '', /^slo:sli_error:ratio_rate5m\{[^}]*\}\n\/ 0\.001$/)
    assert.match(byName.get('slo:period_burn_rate:ratio') ?? '', /^slo:sli_error:ratio_rate30d\{[^}]*\}\n\/ 0\.001$/)
    assert.match(byName.get('slo:period_error_budget_remaining:ratio') ?? '', /^1 - slo:period_burn_rate:ratio\{/)
  })

  test('the same alert conditions: windows, factors, page and ticket', () => {
    const page = alerts.find((rule) => rule.labels.severity === 'critical')
    const ticket = alerts.find((rule) => rule.labels.severity === 'warning')
    assert.ok(page && ticket)
    for (const [rule, expected] of [
      [page, SLOTH.page],
      [ticket, SLOTH.ticket],
    ] as const) {
      assert.deepEqual(
        conditions(rule.expr),
        expected.map(({ short, long, factor }) => ({ short, long, factor, budget: SLOTH.budget })),
      )
    }
    // Factor = budget share × period ÷ long window, as Sloth computes it (getBurnRateFactor).
    for (const window of [...SLOTH.page, ...SLOTH.ticket]) {
      assert.ok(
        Math.abs(
          ((window.budgetPercent / 100) * 720) / { '1h': 1, '6h': 6, '1d': 24, '3d': 72 }[window.long]! - window.factor,
        ) < 1e-9,
      )
    }
    assert.equal(errorBudget(objective), SLOTH.budget)
  })

  test('what differs on purpose (docs/operations.md, "Compared with Sloth")', () => {
    // Labels: slo/slo_sli/slo_objective/slo_period, never sloth_*; the objective rides on the alert.
    assert.ok(records.every((rule) => !Object.keys(rule.labels ?? {}).some((label) => label.startsWith('sloth_'))))
    assert.deepEqual(
      alerts.map((rule) => [rule.alert, rule.labels.slo_objective, rule.labels.slo_period]),
      [
        ['ErrorBudgetBurnPage', '99.9', '30d'],
        ['ErrorBudgetBurnTicket', '99.9', '30d'],
      ],
    )
    // Sloth's alerts have no `for:` unless a plugin adds one; ours wait 2m (page) and 15m (ticket).
    assert.deepEqual(
      alerts.map((rule) => rule.for),
      ['2m', '15m'],
    )
    // The period SLI: Sloth averages the 5m ratios (sum_over_time ÷ count_over_time); ours is the
    // ratio of the period's rates, weighted by traffic.
    const period = records.find((rule) => rule.record === SLOTH.sliRecord('30d'))
    assert.match(period?.expr ?? '', /\[30d\]/)
    assert.doesNotMatch(period?.expr ?? '', /sum_over_time|count_over_time/)
  })

  test('the period SLI, numerically: Sloth averages 5m ratios, ours weighs by traffic (promtool)', () => {
    // Sloth's two period records, as its documented output writes them, over doctor-api's payments.
    const selector = 'job="doctor-api", http_route="/api/payments"'
    const count = 'http_server_request_duration_seconds_count'
    const slothRules = {
      groups: [
        {
          name: 'sloth-form',
          rules: [
            {
              record: 'sloth:sli_error:ratio_rate5m',
              expr: `(sum(rate(${count}{${selector}, http_response_status_code=~"5.."}[5m])))\n/\n(sum(rate(${count}{${selector}}[5m])))`,
            },
            {
              record: 'sloth:sli_error:ratio_rate30d',
              expr: 'sum_over_time(sloth:sli_error:ratio_rate5m[30d])\n/\ncount_over_time(sloth:sli_error:ratio_rate5m[30d])',
            },
          ],
        },
      ],
    }
    const series = (status: string, values: string) => ({
      series: `${count}{${selector}, http_request_method="POST", http_response_status_code="${status}"}`,
      values,
    })
    // A quiet hour (10 requests a minute, half failing), then a busy one (1,000 a minute, none failing):
    // 300 of 60,600 requests failed (0.5%), but half the 5-minute ratios are 50%.
    const tests = {
      rule_files: ['sloth.yml', join(DEPLOY, 'prometheus/rules/sightline-slo.yml')],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [series('200', '0+5x60 305+1000x60'), series('503', '0+5x60 300+0x60')],
          promql_expr_test: [
            {
              expr: 'round(sloth:sli_error:ratio_rate30d, 0.01)',
              eval_time: '120m',
              exp_samples: [{ labels: '{}', value: 0.25 }],
            },
            {
              expr: 'round(slo:sli_error:ratio_rate30d{slo="payments-availability"}, 0.001)',
              eval_time: '120m',
              exp_samples: [
                { labels: '{job="doctor-api", slo="payments-availability", slo_sli="availability"}', value: 0.005 },
              ],
            },
          ],
        },
      ],
    }
    const dir = mkdtempSync(join(tmpdir(), 'sightline-sloth-'))
    try {
      writeFileSync(join(dir, 'sloth.yml'), stringify(slothRules, { lineWidth: 0 }))
      writeFileSync(join(dir, 'tests.yml'), stringify(tests, { lineWidth: 0 }))
      const result = run(PROMTOOL, ['test', 'rules', 'tests.yml'], dir, 120_000)
      assert.equal(result.status, 0, result.output)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
