/**
 * @module names
 * `sightline/names`: every metric, label and header name Sightline emits, for dashboards, alert
 * rules and tools built on its output (the operations kit and the viewer import them from here, so
 * a rename breaks their build instead of leaving a panel empty). Re-exports only.
 */
export {
  ATTR_ERROR_FINGERPRINT,
  HEADER_REQUEST_ID,
  HTTP_DURATION_BUCKETS,
  KNOWN_METHODS,
  LABEL_HTTP_METHOD,
  LABEL_HTTP_ROUTE,
  LABEL_HTTP_STATUS,
  METRIC_ADOPTED_REFUSED,
  METRIC_AGGREGATION_RETIRED,
  METRIC_AGGREGATION_STALE,
  METRIC_AGGREGATION_WORKERS,
  METRIC_ERRORS,
  METRIC_HTTP_CLIENT_DURATION,
  METRIC_HTTP_SERVER_ACTIVE,
  METRIC_HTTP_SERVER_DURATION,
  METRIC_HTTP_SERVER_REFUSED,
  METRIC_LOG_LINES_DROPPED,
  METRIC_LOG_RECORDS_DROPPED,
  METRIC_METRIC_POINTS_DROPPED,
  METRIC_METRIC_POINTS_EXPORTED,
  METRIC_READINESS_DURATION,
  METRIC_READINESS_UP,
  METRIC_SCRAPE_DURATION,
  METRIC_SERIES_DROPPED,
  METRIC_VALUES_REJECTED,
  OTHER_METHOD,
  UNMATCHED_ROUTE,
} from './core/constants.js'
export { NO_ROUTE } from './core/error-groups/error-groups.js'
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
} from './core/metrics/runtime.js'
export { LABEL_ERROR_TYPE } from './core/pipeline/refused.js'
export {
  METRIC_CACHE_CIRCUIT_OPEN,
  METRIC_CACHE_DURATION,
  METRIC_CACHE_REQUESTS,
} from './instrumentations/cache/cache.js'
export {
  METRIC_MESSAGING_CONSUMED,
  METRIC_MESSAGING_DURATION,
  METRIC_MESSAGING_PROCESS_DURATION,
  METRIC_MESSAGING_SENT,
} from './instrumentations/messaging/metrics.js'
export { METRIC_POOL_COUNT, METRIC_POOL_MAX, METRIC_POOL_PENDING } from './instrumentations/pg/pool.js'
export { METRIC_DB_DURATION } from './instrumentations/pg/query.js'
export { METRIC_REDIS_READY, METRIC_REDIS_RECONNECTS } from './instrumentations/redis-common/connection.js'
