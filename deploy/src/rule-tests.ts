/**
 * @module deploy/rule-tests
 * `promtool test rules` cases for every alert: it fires above its threshold, stays quiet below
 * it, and stays pending (not firing) until its `for:` has passed. Written here rather than by hand
 * in YAML so the static annotations (runbooks) are copied from the rules instead of retyped; the
 * templated summary and description are spelled out in full, so promtool checks the templates too.
 */
import { ALERTS } from './alerts.js'
import * as n from './names.js'
import { RECORD_ERROR_RATIO, RECORD_LATENCY_P95 } from './recording-rules.js'

export interface Series {
  series: string
  values: string
}

export interface AlertCheck {
  eval_time: string
  alertname: string
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[]
}

export interface TestCase {
  name: string
  interval: string
  input_series: Series[]
  alert_rule_test?: AlertCheck[]
  promql_expr_test?: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[]
}

function labels(metric: string, set: Record<string, string>): string {
  return `${metric}{${Object.entries(set)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ')}}`
}

/** No alert at `at`: below the threshold, or above it for less than `for:`. */
function quiet(alertname: string, at: string): AlertCheck {
  return { eval_time: at, alertname, exp_alerts: [] }
}

/** Exactly one alert at `at`, with these labels and templated texts. */
function fires(
  alertname: string,
  at: string,
  exp: Record<string, string>,
  text: { summary: string; description: string },
): AlertCheck {
  const rule = ALERTS.find((alert) => alert.alert === alertname)
  if (rule === undefined) throw new Error(`no alert named ${alertname}`)
  return {
    eval_time: at,
    alertname,
    exp_alerts: [
      {
        exp_labels: { ...exp, severity: rule.labels.severity },
        exp_annotations: { ...text, runbook: rule.annotations.runbook, runbook_url: rule.annotations.runbook_url },
      },
    ],
  }
}

const COUNT = `${n.METRIC_HTTP_SERVER_DURATION}_count`
const BUCKET = `${n.METRIC_HTTP_SERVER_DURATION}_bucket`
const route = { [n.LABEL_HTTP_METHOD]: 'POST', [n.LABEL_HTTP_ROUTE]: '/api/payments' }

function requests(job: string, status: string, values: string): Series {
  return { series: labels(COUNT, { job, ...route, [n.LABEL_HTTP_STATUS]: status }), values }
}

function bucket(job: string, le: string, values: string): Series {
  return { series: labels(BUCKET, { job, ...route, [n.LABEL_HTTP_STATUS]: '200', le }), values }
}

function dbQueries(job: string, errorType: string, values: string): Series {
  return {
    series: labels(`${n.METRIC_DB_OPERATION_DURATION}_count`, {
      job,
      [n.LABEL_DB_SYSTEM]: 'postgresql',
      [n.LABEL_DB_OPERATION]: 'SELECT',
      [n.LABEL_ERROR_TYPE]: errorType,
    }),
    values,
  }
}

function gauge(metric: string, instance: string, value: string, extra: Record<string, string> = {}): Series {
  return { series: labels(metric, { job: 'api', instance, ...extra }), values: value }
}

export function ruleTests(): TestCase[] {
  return [
    {
      name: 'HighErrorRate: 10% of 5xx fires after 5m, 3% never does',
      interval: '1m',
      input_series: [
        requests('api', '200', '0+90x20'),
        requests('api', '503', '0+10x20'),
        requests('healthy', '200', '0+97x20'),
        requests('healthy', '500', '0+3x20'),
      ],
      alert_rule_test: [
        quiet('HighErrorRate', '4m'),
        fires(
          'HighErrorRate',
          '7m',
          { job: 'api' },
          {
            summary: 'api: more than 5% of requests fail with a 5xx',
            description: '10% of requests to api answered 5xx over the last 5 minutes.',
          },
        ),
      ],
      promql_expr_test: [
        {
          expr: RECORD_ERROR_RATIO,
          eval_time: '7m',
          exp_samples: [
            { labels: `${RECORD_ERROR_RATIO}{job="api"}`, value: 0.1 },
            { labels: `${RECORD_ERROR_RATIO}{job="healthy"}`, value: 0.03 },
          ],
        },
      ],
    },
    {
      name: 'Error ratio is 0, not absent, when a service has no 5xx',
      interval: '1m',
      input_series: [requests('clean', '200', '0+50x10')],
      promql_expr_test: [
        {
          expr: RECORD_ERROR_RATIO,
          eval_time: '5m',
          exp_samples: [{ labels: `${RECORD_ERROR_RATIO}{job="clean"}`, value: 0 }],
        },
      ],
    },
    {
      name: 'HighLatency: p95 of 2.4 s fires after 5m, p95 under 0.5 s never does',
      interval: '1m',
      input_series: [
        bucket('slow', '0.5', '0+10x20'),
        bucket('slow', '1', '0+10x20'),
        bucket('slow', '2.5', '0+100x20'),
        bucket('slow', '+Inf', '0+100x20'),
        bucket('fast', '0.5', '0+100x20'),
        bucket('fast', '1', '0+100x20'),
        bucket('fast', '2.5', '0+100x20'),
        bucket('fast', '+Inf', '0+100x20'),
      ],
      alert_rule_test: [
        quiet('HighLatency', '4m'),
        fires(
          'HighLatency',
          '7m',
          { job: 'slow' },
          {
            summary: 'slow: p95 latency above 1 s',
            description: 'The 95th percentile of request duration on slow is 2.417s.',
          },
        ),
      ],
      promql_expr_test: [
        {
          expr: RECORD_LATENCY_P95,
          eval_time: '7m',
          // Linear interpolation inside the 1–2.5 s bucket: 1 + 1.5 × (95 − 10) / 90, as promtool's float64 computes it.
          exp_samples: [
            { labels: `${RECORD_LATENCY_P95}{job="fast"}`, value: 0.475 },
            { labels: `${RECORD_LATENCY_P95}{job="slow"}`, value: 2.4166666666666665 },
          ],
        },
      ],
    },
    {
      name: 'DatabaseConnectionsExhausted: 19 of 20 fires after 2m, 10 of 20 never does',
      interval: '1m',
      input_series: [
        gauge(n.METRIC_DB_CONNECTION_COUNT, 'a', '19x10', {
          [n.LABEL_DB_POOL_NAME]: 'main',
          [n.LABEL_DB_CONNECTION_STATE]: 'used',
        }),
        gauge(n.METRIC_DB_CONNECTION_COUNT, 'a', '1x10', {
          [n.LABEL_DB_POOL_NAME]: 'main',
          [n.LABEL_DB_CONNECTION_STATE]: 'idle',
        }),
        gauge(n.METRIC_DB_CONNECTION_MAX, 'a', '20x10', { [n.LABEL_DB_POOL_NAME]: 'main' }),
        gauge(n.METRIC_DB_CONNECTION_COUNT, 'a', '10x10', {
          [n.LABEL_DB_POOL_NAME]: 'reports',
          [n.LABEL_DB_CONNECTION_STATE]: 'used',
        }),
        gauge(n.METRIC_DB_CONNECTION_MAX, 'a', '20x10', { [n.LABEL_DB_POOL_NAME]: 'reports' }),
      ],
      alert_rule_test: [
        quiet('DatabaseConnectionsExhausted', '1m'),
        fires(
          'DatabaseConnectionsExhausted',
          '3m',
          { job: 'api', [n.LABEL_DB_POOL_NAME]: 'main' },
          {
            summary: 'api: connection pool main more than 90% used',
            description: '95% of the pool is in use; new queries will queue.',
          },
        ),
      ],
    },
    ...[n.ERROR_TYPE_STATEMENT_TIMEOUT, n.ERROR_TYPE_CLIENT_TIMEOUT].map(
      (errorType): TestCase => ({
        name: `DatabaseTimeouts: 6 a minute of error_type ${errorType} fire after 5m, other errors never do`,
        interval: '1m',
        input_series: [
          dbQueries('api', errorType, '0+6x20'),
          dbQueries('api', '', '0+600x20'),
          dbQueries('healthy', '', '0+600x20'),
          dbQueries('healthy', '23505', '0+6x20'),
          dbQueries('healthy', 'Error', '0+6x20'),
        ],
        alert_rule_test: [
          quiet('DatabaseTimeouts', '4m'),
          fires(
            'DatabaseTimeouts',
            '7m',
            { job: 'api' },
            {
              summary: 'api: database queries time out',
              description:
                '6 queries a minute timed out over the last 5 minutes (error_type 57014: cancelled by Postgres; timeout: no answer from it).',
            },
          ),
        ],
      }),
    ),
    {
      name: 'EventLoopDelayHigh: p99 of 800 ms fires after 5m, 100 ms never does',
      interval: '1m',
      input_series: [
        gauge(n.METRIC_EVENTLOOP_DELAY_P99, 'a', '0.8x10'),
        gauge(n.METRIC_EVENTLOOP_DELAY_P99, 'b', '0.1x10'),
      ],
      alert_rule_test: [
        quiet('EventLoopDelayHigh', '4m'),
        fires(
          'EventLoopDelayHigh',
          '6m',
          { job: 'api', instance: 'a' },
          {
            summary: 'a: event-loop delay p99 above 500 ms',
            description: 'Event-loop delay p99 is 800ms; every request on this process waits that long.',
          },
        ),
      ],
    },
    {
      name: 'EventLoopSaturated: 95% busy fires after 10m, 50% never does',
      interval: '1m',
      input_series: [
        gauge(n.METRIC_EVENTLOOP_UTILIZATION, 'a', '0.95x20'),
        gauge(n.METRIC_EVENTLOOP_UTILIZATION, 'b', '0.5x20'),
      ],
      alert_rule_test: [
        quiet('EventLoopSaturated', '9m'),
        fires(
          'EventLoopSaturated',
          '11m',
          { job: 'api', instance: 'a' },
          {
            summary: 'a: event loop busy more than 90% of the time',
            description: 'Event-loop utilisation averaged 95% over 5 minutes.',
          },
        ),
      ],
    },
    {
      name: 'MemoryHigh: 1 GB resident fires after 10m, 500 MB never does',
      interval: '1m',
      input_series: [gauge(n.METRIC_RSS, 'a', '1000000000x20'), gauge(n.METRIC_RSS, 'b', '500000000x20')],
      alert_rule_test: [
        quiet('MemoryHigh', '9m'),
        fires(
          'MemoryHigh',
          '11m',
          { job: 'api', instance: 'a' },
          {
            summary: 'a: resident memory near the 1 GiB container limit',
            description: 'Resident memory is 953.7MiB; the container is OOM-killed at 1 GiB.',
          },
        ),
      ],
    },
    {
      name: 'ReadinessCheckFailing: a critical check down fires after 2m, a non-critical one never does',
      interval: '1m',
      input_series: [
        gauge(n.METRIC_READINESS_UP, 'a', '0x10', { check: 'database', critical: 'true' }),
        gauge(n.METRIC_READINESS_UP, 'a', '0x10', { check: 'cache', critical: 'false' }),
        gauge(n.METRIC_READINESS_UP, 'b', '1x10', { check: 'database', critical: 'true' }),
      ],
      alert_rule_test: [
        quiet('ReadinessCheckFailing', '1m'),
        fires(
          'ReadinessCheckFailing',
          '3m',
          { job: 'api', instance: 'a', check: 'database' },
          {
            summary: 'a: readiness check database failing',
            description:
              'The critical check database has failed for 2 minutes; the instance is out of the load balancer.',
          },
        ),
      ],
    },
    {
      name: 'TargetDown: a target down fires after 2m, one up never does',
      interval: '1m',
      input_series: [gauge(n.METRIC_UP, 'a', '0x10'), gauge(n.METRIC_UP, 'b', '1x10')],
      alert_rule_test: [
        quiet('TargetDown', '1m'),
        fires(
          'TargetDown',
          '3m',
          { job: 'api', instance: 'a' },
          { summary: 'api/a cannot be scraped', description: 'Prometheus has failed to scrape a for 2 minutes.' },
        ),
      ],
    },
    {
      name: 'MetricSeriesDropped: fires when the counter moves, clears 10m later, silent while flat',
      interval: '1m',
      input_series: [
        gauge(n.METRIC_SERIES_DROPPED, 'a', '0 0 0 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5', { metric: 'orders_total' }),
        gauge(n.METRIC_SERIES_DROPPED, 'a', '0x20', { metric: 'http_server_request_duration_seconds' }),
      ],
      alert_rule_test: [
        quiet('MetricSeriesDropped', '2m'),
        fires(
          'MetricSeriesDropped',
          '4m',
          { job: 'api', instance: 'a', metric: 'orders_total' },
          {
            summary: 'api: series of orders_total dropped at the cardinality cap',
            description: 'Sightline refused new series of orders_total because it reached SIGHTLINE_MAX_SERIES.',
          },
        ),
        quiet('MetricSeriesDropped', '15m'),
      ],
    },
  ]
}

/** The test file, relative paths as promtool resolves them (from the test file's folder). */
export function ruleTestFile(): Record<string, unknown> {
  return {
    rule_files: ['../rules/sightline-recording.yml', '../rules/sightline-alerts.yml'],
    evaluation_interval: '1m',
    tests: ruleTests(),
  }
}
