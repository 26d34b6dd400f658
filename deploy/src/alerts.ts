/**
 * @module deploy/alerts
 * The alerting rules: the brief's three (`HighErrorRate`, `HighLatency`,
 * `DatabaseConnectionsExhausted`) on Sightline's metric names, plus database timeouts and the
 * golden signals' saturation and availability alerts. Every alert watches a symptom a user or an operator would feel, and says
 * what to do in its `runbook` annotation (longer version in docs/operations.md).
 */
import * as n from './names.js'
import type { AlertingRule } from './types.js'

/**
 * Where the long runbooks live, relative to the repository; each alert links to its own heading.
 * Prefix it with wherever you publish the docs (see docs/operations.md).
 */
export const RUNBOOK_BASE = 'docs/operations.md'

const COUNT = `${n.METRIC_HTTP_SERVER_DURATION}_count`
const BUCKET = `${n.METRIC_HTTP_SERVER_DURATION}_bucket`
const DB_COUNT = `${n.METRIC_DB_OPERATION_DURATION}_count`

/** Thresholds, named so the rule tests and the docs quote the same numbers. */
export const THRESHOLDS = {
  errorRatio: 0.05,
  latencyP95Seconds: 1,
  poolUsage: 0.9,
  /** Timed-out queries a minute, sustained for the alert's `for:`: any is a database in trouble. */
  dbTimeoutsPerMinute: 0,
  eventLoopDelayP99Seconds: 0.5,
  eventLoopUtilization: 0.9,
  /** 90% of the 1 GiB memory limit the Kubernetes Deployment sets. */
  residentMemoryBytes: 966367641,
} as const

function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE}#${alert.toLowerCase()}`
}

export const ALERTS: AlertingRule[] = [
  {
    alert: 'HighErrorRate',
    expr:
      `sum by (${n.LABEL_JOB}) (rate(${COUNT}{${n.LABEL_HTTP_STATUS}=~"5.."}[5m]))` +
      `\n/ sum by (${n.LABEL_JOB}) (rate(${COUNT}[5m]))\n> ${THRESHOLDS.errorRatio}`,
    for: '5m',
    labels: { severity: 'critical' },
    annotations: {
      summary: '{{ $labels.job }}: more than 5% of requests fail with a 5xx',
      description:
        '{{ $value | humanizePercentage }} of requests to {{ $labels.job }} answered 5xx over the last 5 minutes.',
      runbook:
        'Open the Service overview dashboard, find the route in the per-route table, follow an exemplar to its trace and read the error span and the log lines with its trace_id. Roll back a recent deploy first if the errors started with it.',
      runbook_url: runbookUrl('HighErrorRate'),
    },
  },
  {
    alert: 'HighLatency',
    expr: `histogram_quantile(0.95, sum by (${n.LABEL_JOB}, le) (rate(${BUCKET}[5m])))\n> ${THRESHOLDS.latencyP95Seconds}`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.job }}: p95 latency above 1 s',
      description: 'The 95th percentile of request duration on {{ $labels.job }} is {{ $value | humanizeDuration }}.',
      runbook:
        'Check the latency panel for the slow route, click an exemplar to open a slow trace and see which span takes the time (database, cache, downstream). Check event-loop delay and CPU: a saturated process makes every route slow.',
      runbook_url: runbookUrl('HighLatency'),
    },
  },
  {
    alert: 'DatabaseConnectionsExhausted',
    expr:
      `sum by (${n.LABEL_JOB}, ${n.LABEL_DB_POOL_NAME}) (${n.METRIC_DB_CONNECTION_COUNT}{${n.LABEL_DB_CONNECTION_STATE}="used"})` +
      `\n/ sum by (${n.LABEL_JOB}, ${n.LABEL_DB_POOL_NAME}) (${n.METRIC_DB_CONNECTION_MAX})\n> ${THRESHOLDS.poolUsage}`,
    for: '2m',
    labels: { severity: 'critical' },
    annotations: {
      summary: '{{ $labels.job }}: connection pool {{ $labels.db_client_connection_pool_name }} more than 90% used',
      description: '{{ $value | humanizePercentage }} of the pool is in use; new queries will queue.',
      runbook:
        'Look at pending requests and DB query time on the dashboard: slow queries hold connections longer. Find the slow operation, check Postgres for locks (pg_stat_activity). Raise the pool size only if the database has room.',
      runbook_url: runbookUrl('DatabaseConnectionsExhausted'),
    },
  },
  {
    // Both timeouts: Postgres cancelling at statement_timeout (57014) and pg giving up at its own
    // query_timeout (`timeout`, when nothing answers): which one a stuck query gets depends on where
    // it is stuck, and on the pool's settings (docs/data-layer.md, Timeouts).
    alert: 'DatabaseTimeouts',
    // `or ... * 0`: 0, not absent, for a service whose queries do not time out (as the error ratio).
    expr:
      `(sum by (${n.LABEL_JOB}) (rate(${DB_COUNT}{${n.LABEL_ERROR_TYPE}=~"${n.ERROR_TYPE_STATEMENT_TIMEOUT}|${n.ERROR_TYPE_CLIENT_TIMEOUT}"}[5m]))` +
      ` or sum by (${n.LABEL_JOB}) (rate(${DB_COUNT}[5m])) * 0) * 60\n> ${THRESHOLDS.dbTimeoutsPerMinute}`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.job }}: database queries time out',
      description:
        '{{ $value | humanize }} queries a minute timed out over the last 5 minutes (error_type 57014: cancelled by Postgres; timeout: no answer from it).',
      runbook:
        'Split the DB operations panel by error_type. 57014: Postgres is alive but the query is too slow; find it (slow query lines, pg_stat_activity, locks) and fix the query or its index. timeout: Postgres or the network does not answer at all; check readiness, the database host and the connection between them.',
      // The runbook is with the settings it explains.
      runbook_url: runbookUrl('DatabaseTimeouts'),
    },
  },
  {
    alert: 'EventLoopDelayHigh',
    expr: `max by (${n.LABEL_JOB}, ${n.LABEL_INSTANCE}) (${n.METRIC_EVENTLOOP_DELAY_P99})\n> ${THRESHOLDS.eventLoopDelayP99Seconds}`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.instance }}: event-loop delay p99 above 500 ms',
      description:
        'Event-loop delay p99 is {{ $value | humanizeDuration }}; every request on this process waits that long.',
      runbook:
        'Something blocks the event loop: synchronous CPU work (JSON of huge bodies, crypto, regexes) or a GC storm. Take a CPU profile (node --cpu-prof) of one instance; check the GC panel. Scale out while you look.',
      runbook_url: runbookUrl('EventLoopDelayHigh'),
    },
  },
  {
    alert: 'EventLoopSaturated',
    expr: `avg_over_time(${n.METRIC_EVENTLOOP_UTILIZATION}[5m])\n> ${THRESHOLDS.eventLoopUtilization}`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.instance }}: event loop busy more than 90% of the time',
      description: 'Event-loop utilisation averaged {{ $value | humanizePercentage }} over 5 minutes.',
      runbook:
        'The process is at capacity. Add replicas (or raise the HPA ceiling); then find what got more expensive per request by comparing CPU per request before and after the last deploy.',
      runbook_url: runbookUrl('EventLoopSaturated'),
    },
  },
  {
    alert: 'MemoryHigh',
    expr: `${n.METRIC_RSS}\n> ${THRESHOLDS.residentMemoryBytes}`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.instance }}: resident memory near the 1 GiB container limit',
      description: 'Resident memory is {{ $value | humanize1024 }}B; the container is OOM-killed at 1 GiB.',
      runbook:
        'Check the heap panel: a steady climb is a leak (take two heap snapshots and compare), a sawtooth near the limit is a heap too small for the load. Restart the instance if it is close to the limit.',
      runbook_url: runbookUrl('MemoryHigh'),
    },
  },
  {
    alert: 'ReadinessCheckFailing',
    expr: `max by (${n.LABEL_JOB}, ${n.LABEL_INSTANCE}, ${n.LABEL_READINESS_CHECK}) (${n.METRIC_READINESS_UP}{${n.LABEL_READINESS_CRITICAL}="true"})\n== 0`,
    for: '2m',
    labels: { severity: 'critical' },
    annotations: {
      summary: '{{ $labels.instance }}: readiness check {{ $labels.check }} failing',
      description:
        'The critical check {{ $labels.check }} has failed for 2 minutes; the instance is out of the load balancer.',
      runbook:
        'Call /readyz on the instance (with SIGHTLINE_EXPOSE_CHECK_ERRORS=true to see the error). A failing database check on every instance is a database outage: check Postgres itself.',
      runbook_url: runbookUrl('ReadinessCheckFailing'),
    },
  },
  {
    alert: 'TargetDown',
    expr: `${n.METRIC_UP}\n== 0`,
    for: '2m',
    labels: { severity: 'critical' },
    annotations: {
      summary: '{{ $labels.job }}/{{ $labels.instance }} cannot be scraped',
      description: 'Prometheus has failed to scrape {{ $labels.instance }} for 2 minutes.',
      runbook:
        'Is the process running (kubectl get pods / docker compose ps)? If it is, check /metrics by hand: a wrong port, a missing SIGHTLINE_METRICS_TOKEN in the scrape config or a network policy blocks the scrape.',
      runbook_url: runbookUrl('TargetDown'),
    },
  },
  {
    alert: 'MetricSeriesDropped',
    expr: `increase(${n.METRIC_SERIES_DROPPED}[10m])\n> 0`,
    for: '0m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.job }}: series of {{ $labels.metric }} dropped at the cardinality cap',
      description: 'Sightline refused new series of {{ $labels.metric }} because it reached SIGHTLINE_MAX_SERIES.',
      runbook:
        'A label takes unbounded values (an id in a route, a user-supplied string). Find it with count by (label) on the metric, fix the labelling, and raise SIGHTLINE_MAX_SERIES only for a known, bounded set.',
      runbook_url: runbookUrl('MetricSeriesDropped'),
    },
  },
]
