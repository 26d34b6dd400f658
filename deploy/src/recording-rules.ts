/**
 * @module deploy/recording-rules
 * Recording rules for the RED and USE queries the dashboards draw. Precomputed once per evaluation,
 * so a dashboard with many viewers does not make Prometheus re-read every histogram bucket.
 * Names follow Prometheus' `level:metric:operations` convention.
 */
import * as n from './names.js'
import type { RecordingRule } from './types.js'

const DURATION_BUCKET = `${n.METRIC_HTTP_SERVER_DURATION}_bucket`
const DURATION_COUNT = `${n.METRIC_HTTP_SERVER_DURATION}_count`
const SERVER_ERROR = `${n.LABEL_HTTP_STATUS}=~"5.."`
const ROUTE_KEYS = `${n.LABEL_JOB}, ${n.LABEL_HTTP_ROUTE}, ${n.LABEL_HTTP_METHOD}`

export const RECORD_REQUEST_RATE = 'job:http_server_requests:rate5m'
export const RECORD_ERROR_RATE = 'job:http_server_errors:rate5m'
export const RECORD_ERROR_RATIO = 'job:http_server_errors:ratio_rate5m'
export const RECORD_LATENCY_P50 = 'job:http_server_request_duration_seconds:p50_rate5m'
export const RECORD_LATENCY_P95 = 'job:http_server_request_duration_seconds:p95_rate5m'
export const RECORD_LATENCY_P99 = 'job:http_server_request_duration_seconds:p99_rate5m'
export const RECORD_ROUTE_REQUEST_RATE = 'job_route:http_server_requests:rate5m'
export const RECORD_ROUTE_ERROR_RATIO = 'job_route:http_server_errors:ratio_rate5m'
export const RECORD_ROUTE_LATENCY_P95 = 'job_route:http_server_request_duration_seconds:p95_rate5m'
export const RECORD_DB_LATENCY_P95 = 'job:db_client_operation_duration_seconds:p95_rate5m'
export const RECORD_DB_POOL_USAGE = 'job_pool:db_client_connection_usage:ratio'
export const RECORD_CACHE_HIT_RATIO = 'job:cache_requests:hit_ratio_rate5m'

function quantile(q: number, by: string, bucket = DURATION_BUCKET): string {
  return `histogram_quantile(${q}, sum by (${by}, le) (rate(${bucket}[5m])))`
}

/**
 * A 5xx share that is 0, not absent, while there are requests but no errors: `or ... * 0` fills
 * the numerator, so the dashboard shows a flat line instead of "No data".
 */
function errorRatio(by: string): string {
  return (
    `(sum by (${by}) (rate(${DURATION_COUNT}{${SERVER_ERROR}}[5m]))` +
    ` or sum by (${by}) (rate(${DURATION_COUNT}[5m])) * 0)` +
    `\n/ sum by (${by}) (rate(${DURATION_COUNT}[5m]))`
  )
}

/** The HTTP (RED) group: rate, errors, duration, per service and per route. */
export const HTTP_RECORDING_RULES: RecordingRule[] = [
  { record: RECORD_REQUEST_RATE, expr: `sum by (${n.LABEL_JOB}) (rate(${DURATION_COUNT}[5m]))` },
  { record: RECORD_ERROR_RATE, expr: `sum by (${n.LABEL_JOB}) (rate(${DURATION_COUNT}{${SERVER_ERROR}}[5m]))` },
  { record: RECORD_ERROR_RATIO, expr: errorRatio(n.LABEL_JOB) },
  { record: RECORD_LATENCY_P50, expr: quantile(0.5, n.LABEL_JOB) },
  { record: RECORD_LATENCY_P95, expr: quantile(0.95, n.LABEL_JOB) },
  { record: RECORD_LATENCY_P99, expr: quantile(0.99, n.LABEL_JOB) },
  { record: RECORD_ROUTE_REQUEST_RATE, expr: `sum by (${ROUTE_KEYS}) (rate(${DURATION_COUNT}[5m]))` },
  { record: RECORD_ROUTE_ERROR_RATIO, expr: errorRatio(ROUTE_KEYS) },
  { record: RECORD_ROUTE_LATENCY_P95, expr: quantile(0.95, ROUTE_KEYS) },
]

/** The data-layer group: query time, pool usage, cache hit ratio. */
export const DATA_RECORDING_RULES: RecordingRule[] = [
  {
    record: RECORD_DB_LATENCY_P95,
    expr: quantile(0.95, `${n.LABEL_JOB}, ${n.LABEL_DB_OPERATION}`, `${n.METRIC_DB_OPERATION_DURATION}_bucket`),
  },
  {
    record: RECORD_DB_POOL_USAGE,
    expr:
      `sum by (${n.LABEL_JOB}, ${n.LABEL_DB_POOL_NAME}) (${n.METRIC_DB_CONNECTION_COUNT}{${n.LABEL_DB_CONNECTION_STATE}="used"})` +
      `\n/ sum by (${n.LABEL_JOB}, ${n.LABEL_DB_POOL_NAME}) (${n.METRIC_DB_CONNECTION_MAX})`,
  },
  {
    record: RECORD_CACHE_HIT_RATIO,
    expr:
      `sum by (${n.LABEL_JOB}, ${n.LABEL_CACHE_SYSTEM}) (rate(${n.METRIC_CACHE_REQUESTS}{${n.LABEL_CACHE_RESULT}="hit"}[5m]))` +
      `\n/ sum by (${n.LABEL_JOB}, ${n.LABEL_CACHE_SYSTEM}) (rate(${n.METRIC_CACHE_REQUESTS}[5m]))`,
  },
]
