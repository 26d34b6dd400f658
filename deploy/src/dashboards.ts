/**
 * @module deploy/dashboards
 * The Grafana dashboards: a service overview (the brief's panels, saturation, per-route table,
 * health) and doctor-api's business metrics. Every query is built from the names in names.ts and
 * the recording rules, so the live test can evaluate exactly what Grafana will ask for.
 */
import { THRESHOLDS } from './alerts.js'
import {
  type Dashboard,
  dashboard,
  jobVariable,
  Layout,
  type Panel,
  row,
  table,
  timeseries,
  upDownTimeline,
} from './grafana.js'
import * as n from './names.js'
import * as r from './recording-rules.js'
import { sloDashboard } from './slo-dashboard.js'

/** Every query filters on the dashboard's `job` variable. */
const JOB = `${n.LABEL_JOB}=~"$job"`
const BUCKET = `${n.METRIC_HTTP_SERVER_DURATION}_bucket`

/** Latency quantiles read the raw histogram (not a recording rule) so Grafana can fetch its exemplars. */
function latency(q: number): { expr: string; legend: string; exemplar: true } {
  return {
    expr: `histogram_quantile(${q}, sum by (${n.LABEL_JOB}, le) (rate(${BUCKET}{${JOB}}[$__rate_interval])))`,
    legend: `p${Math.round(q * 100)} {{${n.LABEL_JOB}}}`,
    exemplar: true,
  }
}

function overviewPanels(): Panel[] {
  const layout = new Layout()
  return [
    row(layout, 'Traffic, errors, duration'),
    timeseries(layout, 'Request rate', [{ expr: `${r.RECORD_REQUEST_RATE}{${JOB}}`, legend: `{{${n.LABEL_JOB}}}` }], {
      unit: 'reqps',
      description: 'Requests per second, all routes, averaged over 5 minutes.',
      width: 8,
    }),
    timeseries(
      layout,
      'Error rate (5xx share)',
      [{ expr: `${r.RECORD_ERROR_RATIO}{${JOB}}`, legend: `{{${n.LABEL_JOB}}}` }],
      {
        unit: 'percentunit',
        description: 'Share of requests answered with a 5xx. The red line is the HighErrorRate threshold.',
        width: 8,
        min: 0,
        threshold: THRESHOLDS.errorRatio,
      },
    ),
    timeseries(
      layout,
      'In-flight requests',
      [{ expr: `sum by (${n.LABEL_JOB}) (${n.METRIC_HTTP_SERVER_ACTIVE}{${JOB}})`, legend: `{{${n.LABEL_JOB}}}` }],
      { unit: 'short', description: 'Requests being served right now.', width: 8, min: 0 },
    ),
    timeseries(layout, 'Latency p50 / p95 / p99', [latency(0.5), latency(0.95), latency(0.99)], {
      unit: 's',
      description:
        'Request duration percentiles. Dots are exemplars: click one to open the trace of a request in that bucket. The red line is the HighLatency threshold.',
      width: 24,
      threshold: THRESHOLDS.latencyP95Seconds,
    }),
    table(
      layout,
      'Routes',
      [
        { expr: `${r.RECORD_ROUTE_REQUEST_RATE}{${JOB}}` },
        { expr: `${r.RECORD_ROUTE_ERROR_RATIO}{${JOB}}` },
        { expr: `${r.RECORD_ROUTE_LATENCY_P95}{${JOB}}` },
      ],
      {
        'Value #A': { name: 'req/s', unit: 'reqps' },
        'Value #B': { name: '5xx share', unit: 'percentunit' },
        'Value #C': { name: 'p95', unit: 's' },
      },
      'Every route with its request rate, 5xx share and p95 over the last 5 minutes.',
    ),
    row(layout, 'Data layer'),
    timeseries(
      layout,
      'DB query time p95',
      [
        {
          expr: `histogram_quantile(0.95, sum by (${n.LABEL_DB_OPERATION}, le) (rate(${n.METRIC_DB_OPERATION_DURATION}_bucket{${JOB}}[$__rate_interval])))`,
          legend: `{{${n.LABEL_DB_OPERATION}}}`,
          exemplar: true,
        },
      ],
      { unit: 's', description: 'p95 of database operations, by operation (SELECT, INSERT, ...).', width: 8 },
    ),
    timeseries(
      layout,
      'DB operations',
      [
        {
          expr: `sum by (${n.LABEL_DB_OPERATION}, ${n.LABEL_ERROR_TYPE}) (rate(${n.METRIC_DB_OPERATION_DURATION}_count{${JOB}}[$__rate_interval]))`,
          legend: `{{${n.LABEL_DB_OPERATION}}} {{${n.LABEL_ERROR_TYPE}}}`,
        },
      ],
      { unit: 'ops', description: 'Database operations per second; failed ones carry error_type.', width: 8 },
    ),
    timeseries(
      layout,
      'Cache hit rate',
      [{ expr: `${r.RECORD_CACHE_HIT_RATIO}{${JOB}}`, legend: `{{${n.LABEL_JOB}}} {{${n.LABEL_CACHE_SYSTEM}}}` }],
      { unit: 'percentunit', description: 'Share of cache lookups that were hits.', width: 8, min: 0, max: 1 },
    ),
    row(layout, 'Saturation'),
    timeseries(
      layout,
      'Event-loop delay',
      [
        { expr: `${n.METRIC_EVENTLOOP_DELAY_P50}{${JOB}}`, legend: 'p50 {{instance}}' },
        { expr: `${n.METRIC_EVENTLOOP_DELAY_P99}{${JOB}}`, legend: 'p99 {{instance}}' },
        { expr: `${n.METRIC_EVENTLOOP_DELAY_MAX}{${JOB}}`, legend: 'max {{instance}}' },
      ],
      {
        unit: 's',
        description: 'How late timers fire: every request waits this long too. Red line: EventLoopDelayHigh.',
        width: 8,
        threshold: THRESHOLDS.eventLoopDelayP99Seconds,
      },
    ),
    timeseries(
      layout,
      'Event-loop utilisation',
      [{ expr: `${n.METRIC_EVENTLOOP_UTILIZATION}{${JOB}}`, legend: '{{instance}}' }],
      {
        unit: 'percentunit',
        description: 'Share of time the event loop was busy. Near 100% the process is at capacity.',
        width: 8,
        min: 0,
        max: 1,
        threshold: THRESHOLDS.eventLoopUtilization,
      },
    ),
    timeseries(layout, 'CPU', [{ expr: `rate(${n.METRIC_CPU}{${JOB}}[$__rate_interval])`, legend: '{{instance}}' }], {
      unit: 'percentunit',
      description: 'CPU seconds per second (1 = one core).',
      width: 8,
      min: 0,
    }),
    timeseries(
      layout,
      'Memory',
      [
        { expr: `${n.METRIC_RSS}{${JOB}}`, legend: 'resident {{instance}}' },
        { expr: `sum by (${n.LABEL_INSTANCE}) (${n.METRIC_HEAP_USED}{${JOB}})`, legend: 'heap used {{instance}}' },
        { expr: `sum by (${n.LABEL_INSTANCE}) (${n.METRIC_HEAP_LIMIT}{${JOB}})`, legend: 'heap reserved {{instance}}' },
      ],
      {
        unit: 'bytes',
        description: 'Resident memory and V8 heap. Red line: MemoryHigh.',
        width: 8,
        threshold: THRESHOLDS.residentMemoryBytes,
      },
    ),
    timeseries(
      layout,
      'GC time',
      [
        {
          expr: `sum by (${n.LABEL_INSTANCE}, v8js_gc_type) (rate(${n.METRIC_GC_DURATION}_sum{${JOB}}[$__rate_interval]))`,
          legend: '{{v8js_gc_type}} {{instance}}',
        },
      ],
      { unit: 'percentunit', description: 'Share of time spent in garbage collection, by GC type.', width: 8, min: 0 },
    ),
    timeseries(
      layout,
      'DB pool usage',
      [
        { expr: `${r.RECORD_DB_POOL_USAGE}{${JOB}}`, legend: `used/max {{${n.LABEL_DB_POOL_NAME}}}` },
        {
          expr: `sum by (${n.LABEL_DB_POOL_NAME}) (${n.METRIC_DB_CONNECTION_PENDING}{${JOB}})`,
          legend: `waiting {{${n.LABEL_DB_POOL_NAME}}}`,
        },
      ],
      {
        unit: 'percentunit',
        description:
          'Connections in use over the pool size, and queries waiting for one. Red line: DatabaseConnectionsExhausted.',
        width: 8,
        min: 0,
        threshold: THRESHOLDS.poolUsage,
      },
    ),
    row(layout, 'Health'),
    upDownTimeline(
      layout,
      'Readiness checks',
      [
        {
          expr: `${n.METRIC_READINESS_UP}{${JOB}}`,
          legend: `{{instance}} {{${n.LABEL_READINESS_CHECK}}} (critical={{${n.LABEL_READINESS_CRITICAL}}})`,
        },
      ],
      'Each readiness check at its last run: a failing critical check takes the instance out of the load balancer.',
    ),
    upDownTimeline(
      layout,
      'Scrape targets',
      [{ expr: `${n.METRIC_UP}{${JOB}}`, legend: '{{job}} {{instance}}' }],
      'Whether Prometheus could scrape each instance (TargetDown fires after 2 minutes down).',
    ),
    timeseries(
      layout,
      'Readiness check duration',
      [{ expr: `${n.METRIC_READINESS_DURATION}{${JOB}}`, legend: `{{instance}} {{${n.LABEL_READINESS_CHECK}}}` }],
      { unit: 's', description: 'How long each check took at its last run.', width: 12 },
    ),
    timeseries(
      layout,
      'Series dropped at the cardinality cap',
      [
        {
          expr: `sum by (${n.LABEL_JOB}, metric) (increase(${n.METRIC_SERIES_DROPPED}{${JOB}}[$__rate_interval]))`,
          legend: '{{job}} {{metric}}',
        },
      ],
      { unit: 'short', description: 'Non-zero means a label takes unbounded values (MetricSeriesDropped).', width: 12 },
    ),
  ]
}

function doctorApiPanels(): Panel[] {
  const layout = new Layout()
  return [
    row(layout, 'doctor-api'),
    timeseries(
      layout,
      'Signups',
      [{ expr: `sum by (source) (rate(${n.METRIC_APP_SIGNUPS}{${JOB}}[$__rate_interval]))`, legend: '{{source}}' }],
      { unit: 'ops', description: 'User signups per second, by source.', width: 8, min: 0 },
    ),
    timeseries(
      layout,
      'Payment provider time p95',
      [
        {
          expr: `histogram_quantile(0.95, sum by (le) (rate(${n.METRIC_APP_PAYMENT_DURATION}_bucket{${JOB}}[$__rate_interval])))`,
          legend: 'p95',
          exemplar: true,
        },
      ],
      { unit: 's', description: 'Time spent waiting on the payment provider (DEMO_LATENCY_MS adds to it).', width: 8 },
    ),
    timeseries(
      layout,
      'Live-stream connections',
      [{ expr: `sum by (${n.LABEL_INSTANCE}) (${n.METRIC_APP_ACTIVE_CONNECTIONS}{${JOB}})`, legend: '{{instance}}' }],
      {
        unit: 'short',
        description: 'Open Server-Sent Events connections on /api/appointments/stream.',
        width: 8,
        min: 0,
      },
    ),
    timeseries(
      layout,
      'Payments by status',
      [
        {
          expr: `sum by (${n.LABEL_HTTP_STATUS}) (rate(${n.METRIC_HTTP_SERVER_DURATION}_count{${JOB}, ${n.LABEL_HTTP_ROUTE}="/api/payments"}[$__rate_interval]))`,
          legend: `{{${n.LABEL_HTTP_STATUS}}}`,
        },
      ],
      {
        unit: 'reqps',
        description: 'POST /api/payments by status: 503s are the provider failing (DEMO_ERROR_RATE).',
        width: 24,
      },
    ),
  ]
}

/** File name (under deploy/grafana/dashboards/) → dashboard. */
export function dashboards(): Record<string, Dashboard> {
  return {
    'sightline-overview.json': dashboard(
      {
        uid: 'sightline-overview',
        title: 'Sightline service overview',
        description: 'RED metrics, data layer, saturation and health of every service instrumented with Sightline.',
        tags: ['sightline'],
      },
      [jobVariable(`${n.METRIC_HTTP_SERVER_DURATION}_count`)],
      overviewPanels(),
    ),
    'doctor-api.json': dashboard(
      {
        uid: 'sightline-doctor-api',
        title: 'doctor-api business metrics',
        description: "doctor-api's custom metrics: signups, payments, live-stream connections.",
        tags: ['sightline', 'doctor-api'],
      },
      [jobVariable(n.METRIC_APP_SIGNUPS)],
      doctorApiPanels(),
    ),
    'sightline-slo.json': sloDashboard(),
  }
}

/** Every Prometheus query of every panel, for the live test. */
export function dashboardQueries(): { dashboard: string; panel: string; expr: string }[] {
  const out: { dashboard: string; panel: string; expr: string }[] = []
  for (const [file, board] of Object.entries(dashboards())) {
    for (const panel of board.panels) {
      for (const target of panel.targets ?? []) out.push({ dashboard: file, panel: panel.title, expr: target.expr })
    }
  }
  return out
}
