/**
 * @module deploy/slo-dashboard
 * The SLO dashboard: every declared objective with its service level, the error budget left over
 * its period and the burn rate over each window the alerts read. Built from the records of
 * slo-rules.ts with the builders of the other dashboards, so the live test evaluates exactly these
 * queries against a real Prometheus.
 */
import {
  type Dashboard,
  dashboard,
  Layout,
  labelVariable,
  type Panel,
  row,
  stat,
  table,
  timeseries,
} from './grafana.js'
import * as n from './names.js'
import {
  BURN_WINDOWS,
  LABEL_SLO,
  RECORD_BUDGET_REMAINING,
  RECORD_CURRENT_BURN_RATE,
  RECORD_ERROR_BUDGET,
  RECORD_OBJECTIVE,
  RECORD_PERIOD_BURN_RATE,
  recordSliError,
  SLI_WINDOWS,
} from './slo-rules.js'

const SELECTED = `{${n.LABEL_JOB}=~"$job", ${LABEL_SLO}=~"$slo"}`
const LEGEND = `{{${n.LABEL_JOB}}} {{${LABEL_SLO}}}`

/** Bad share over `window` ÷ the error budget: 1 spends the budget exactly by the end of the period. */
export function burnRateQuery(window: string): string {
  return `${recordSliError(window)}${SELECTED}\n/ on (${n.LABEL_JOB}, ${LABEL_SLO}) group_left ${RECORD_ERROR_BUDGET}${SELECTED}`
}

function panels(): Panel[] {
  const layout = new Layout()
  const pageFactor = 14.4
  return [
    row(layout, 'Objectives'),
    table(
      layout,
      'Objectives',
      [
        { expr: `${RECORD_OBJECTIVE}${SELECTED}` },
        { expr: `${RECORD_BUDGET_REMAINING}${SELECTED}` },
        { expr: `${RECORD_CURRENT_BURN_RATE}${SELECTED}` },
        { expr: `${RECORD_PERIOD_BURN_RATE}${SELECTED}` },
      ],
      {
        'Value #A': { name: 'objective', unit: 'percentunit' },
        'Value #B': { name: 'budget left', unit: 'percentunit' },
        'Value #C': { name: 'burn (5m)', unit: 'suffix:×' },
        'Value #D': { name: 'burn (period)', unit: 'suffix:×' },
      },
      'Every declared objective (slo.yaml): what was promised, the share of its error budget left over its period, and how fast it burns now and over the period.',
    ),
    row(layout, 'Service level and error budget'),
    timeseries(
      layout,
      'Service level (good share)',
      [
        { expr: `1 - ${recordSliError('5m')}${SELECTED}`, legend: `${LEGEND} 5m` },
        { expr: `1 - ${recordSliError('1h')}${SELECTED}`, legend: `${LEGEND} 1h` },
        { expr: `${RECORD_OBJECTIVE}${SELECTED}`, legend: `${LEGEND} objective` },
      ],
      {
        unit: 'percentunit',
        description:
          'Share of good requests (not 5xx for availability, within the threshold for latency) over 5 minutes and 1 hour, with the objective.',
        max: 1,
      },
    ),
    stat(layout, 'Error budget remaining', [{ expr: `${RECORD_BUDGET_REMAINING}${SELECTED}`, legend: LEGEND }], {
      unit: 'percentunit',
      description:
        'Share of the error budget left over the objective’s period (1 − bad share ÷ budget). Below 0 the objective is missed.',
      steps: [
        { color: 'red', value: null },
        { color: 'orange', value: 0 },
        { color: 'green', value: 0.25 },
      ],
    }),
    timeseries(
      layout,
      'Error budget remaining over time',
      [{ expr: `${RECORD_BUDGET_REMAINING}${SELECTED}`, legend: LEGEND }],
      { unit: 'percentunit', description: 'The same over time: a steady slope down is a steady burn.', width: 24 },
    ),
    row(layout, 'Burn rate'),
    timeseries(
      layout,
      'Burn rate per window',
      SLI_WINDOWS.map((window) => ({ expr: burnRateQuery(window), legend: `${LEGEND} ${window}` })),
      {
        unit: 'suffix:×',
        description: `Bad share over each window ÷ the error budget. The page alert needs both windows of a pair above its factor (${BURN_WINDOWS.page.map((w) => `${w.long} with ${w.short}`).join(', ')}); the red line is the fastest page factor for a 30-day period.`,
        width: 24,
        min: 0,
        threshold: pageFactor,
      },
    ),
  ]
}

export function sloDashboard(): Dashboard {
  return dashboard(
    {
      uid: 'sightline-slo',
      title: 'Sightline service-level objectives',
      description: 'Declared objectives (slo.yaml): service level, error budget remaining, burn rate per window.',
      tags: ['sightline', 'slo'],
    },
    [
      labelVariable('job', n.LABEL_JOB, RECORD_OBJECTIVE),
      labelVariable('slo', LABEL_SLO, RECORD_OBJECTIVE, `{${n.LABEL_JOB}=~"$job"}`),
    ],
    panels(),
  )
}
