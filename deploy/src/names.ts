/**
 * @module deploy/names
 * Every metric and label name the operations kit queries, in one place. Names the library defines
 * are re-exported from it, so a rename there breaks the build of the dashboards and rules here
 * instead of silently leaving a panel empty. Label names are spelled here (the library keeps them
 * inline); doctor-api's custom metrics are the brief's.
 */
export {
  LABEL_HTTP_METHOD,
  LABEL_HTTP_ROUTE,
  LABEL_HTTP_STATUS,
  METRIC_HTTP_SERVER_ACTIVE,
  METRIC_HTTP_SERVER_DURATION,
  METRIC_READINESS_DURATION,
  METRIC_READINESS_UP,
  METRIC_SCRAPE_DURATION,
  METRIC_SERIES_DROPPED,
} from 'sightline/names'

import { METRIC_EVENTLOOP_DELAY_PREFIX } from 'sightline/names'

export {
  METRIC_CPU,
  METRIC_EVENTLOOP_DELAY_PREFIX,
  METRIC_EVENTLOOP_UTILIZATION,
  METRIC_GC_DURATION,
  METRIC_HEAP_LIMIT,
  METRIC_HEAP_USED,
  METRIC_RSS,
  METRIC_START_TIME,
  METRIC_VERSION,
} from 'sightline/names'

/** `nodejs_eventloop_delay_p99_seconds`: the delay percentile the saturation alert watches. */
export const METRIC_EVENTLOOP_DELAY_P99 = `${METRIC_EVENTLOOP_DELAY_PREFIX}p99_seconds`
export const METRIC_EVENTLOOP_DELAY_P50 = `${METRIC_EVENTLOOP_DELAY_PREFIX}p50_seconds`
export const METRIC_EVENTLOOP_DELAY_MAX = `${METRIC_EVENTLOOP_DELAY_PREFIX}max_seconds`

// Data layer (OpenTelemetry database and cache conventions), from the instrumentations.
export {
  METRIC_CACHE_DURATION as METRIC_CACHE_OPERATION_DURATION,
  METRIC_CACHE_REQUESTS,
  METRIC_DB_DURATION as METRIC_DB_OPERATION_DURATION,
  METRIC_POOL_COUNT as METRIC_DB_CONNECTION_COUNT,
  METRIC_POOL_MAX as METRIC_DB_CONNECTION_MAX,
  METRIC_POOL_PENDING as METRIC_DB_CONNECTION_PENDING,
} from 'sightline/names'

/** `error_type` of a query Postgres cancelled at its `statement_timeout` (SQLSTATE query_canceled). */
export const ERROR_TYPE_STATEMENT_TIMEOUT = '57014'
/** `error_type` of a query pg gave up on at its own `query_timeout` (no answer at all). */
export { CLIENT_TIMEOUT as ERROR_TYPE_CLIENT_TIMEOUT } from 'sightline/pg'

export const LABEL_DB_SYSTEM = 'db_system_name'
export const LABEL_DB_OPERATION = 'db_operation_name'
export const LABEL_DB_COLLECTION = 'db_collection_name'
export const LABEL_ERROR_TYPE = 'error_type'
export const LABEL_DB_CONNECTION_STATE = 'db_client_connection_state'
export const LABEL_DB_POOL_NAME = 'db_client_connection_pool_name'
export const LABEL_CACHE_SYSTEM = 'cache_system'
export const LABEL_CACHE_RESULT = 'result'
export const LABEL_CACHE_OPERATION = 'cache_operation'
export const LABEL_READINESS_CHECK = 'check'
export const LABEL_READINESS_CRITICAL = 'critical'
export const LABEL_HEAP_SPACE = 'v8js_heap_space_name'

// doctor-api's custom metrics (the brief's examples).
export const METRIC_APP_SIGNUPS = 'app_user_signups_total'
export const METRIC_APP_PAYMENT_DURATION = 'app_payment_duration_seconds'
export const METRIC_APP_ACTIVE_CONNECTIONS = 'app_active_connections'

/** Prometheus' own per-target series, used by the target-down alert. */
export const METRIC_UP = 'up'

/** Label every Sightline series carries once Prometheus has scraped it; dashboards group by it. */
export const LABEL_JOB = 'job'
export const LABEL_INSTANCE = 'instance'

/** Grafana datasource uids the dashboards and provisioning agree on. */
export const DATASOURCE_PROMETHEUS_UID = 'prometheus'
export const DATASOURCE_JAEGER_UID = 'jaeger'
