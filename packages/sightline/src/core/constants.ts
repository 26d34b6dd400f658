/**
 * @module constants
 * Names shared across the library: headers, metric and label names, log fields.
 * Metric names follow the OpenTelemetry semantic conventions, rendered the Prometheus way
 * (dots become underscores, the unit becomes a suffix).
 */

export const HEADER_REQUEST_ID = 'x-request-id'
export const HEADER_CONTENT_LENGTH = 'content-length'
/** The access line's `msg` (and its OTLP record's body). */
export const ACCESS_LOG_MESSAGE = 'request completed'
/** `?`, where a URL's path ends and its query string starts. */
export const CHAR_QUERY = 0x3f

export const METRIC_HTTP_SERVER_DURATION = 'http_server_request_duration_seconds'
export const METRIC_HTTP_SERVER_ACTIVE = 'http_server_active_requests'
export const METRIC_HTTP_CLIENT_DURATION = 'http_client_request_duration_seconds'
export const METRIC_HTTP_SERVER_REFUSED = 'sightline_http_server_refused_requests_total'
export const METRIC_SERIES_DROPPED = 'sightline_metric_series_dropped_total'
export const METRIC_VALUES_REJECTED = 'sightline_metric_values_rejected_total'
export const METRIC_LOG_LINES_DROPPED = 'sightline_log_lines_dropped_total'
export const METRIC_LOG_RECORDS_DROPPED = 'sightline_log_records_dropped_total'
export const METRIC_METRIC_POINTS_EXPORTED = 'sightline_metric_points_exported_total'
export const METRIC_METRIC_POINTS_DROPPED = 'sightline_metric_points_dropped_total'
export const METRIC_SCRAPE_DURATION = 'sightline_metrics_scrape_duration_seconds'
export const METRIC_ERRORS = 'sightline_errors_total'
/** Workers (cluster workers, worker threads) in the last aggregated scrape, by whether they answered in time. */
export const METRIC_AGGREGATION_WORKERS = 'sightline_metrics_workers'
/** Times a worker did not answer a scrape in time and was reported from its last snapshot. */
export const METRIC_AGGREGATION_STALE = 'sightline_metrics_worker_stale_total'
/** Workers that exited; their last counters and histograms stay in the sums. */
export const METRIC_AGGREGATION_RETIRED = 'sightline_metrics_workers_retired_total'
/** Metrics of an adopted prom-client registry left out of a scrape because Sightline emits the name. */
export const METRIC_ADOPTED_REFUSED = 'sightline_metrics_adopted_refused_total'
export const METRIC_READINESS_UP = 'sightline_readiness_check_up'
export const METRIC_READINESS_DURATION = 'sightline_readiness_check_duration_seconds'

export const LABEL_HTTP_METHOD = 'http_request_method'
export const LABEL_HTTP_ROUTE = 'http_route'
export const LABEL_HTTP_STATUS = 'http_response_status_code'

/** An exception event's fingerprint of its error (core/error-groups): no semantic convention names one. */
export const ATTR_ERROR_FINGERPRINT = 'sightline.error.fingerprint'

/** The route label of every request no route matched: one value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched'
/** The method label of any method outside the standard set (OpenTelemetry convention). */
export const OTHER_METHOD = '_OTHER'

/** HTTP methods known to the OpenTelemetry semantic conventions. */
export const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const

/** Semantic-convention buckets for `http.server.request.duration`, in seconds. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const

/** Status recorded for a request whose client went away before the response was sent (nginx's convention). */
export const STATUS_CLIENT_CLOSED = 499
