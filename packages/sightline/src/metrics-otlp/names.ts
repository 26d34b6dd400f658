/**
 * @module metrics-otlp/names
 * The OpenTelemetry name, unit and attribute keys a registry metric is pushed under. The metrics
 * that render a semantic convention (`http_server_request_duration_seconds` is
 * `http.server.request.duration`) go out under the convention's name, unit and attribute keys, as
 * an OpenTelemetry SDK would send them; every other metric keeps its Prometheus name, and its unit
 * is read from the name's suffix (`_seconds` is `s`, `_bytes` is `By`).
 */
import {
  LABEL_HTTP_METHOD,
  LABEL_HTTP_ROUTE,
  LABEL_HTTP_STATUS,
  METRIC_HTTP_CLIENT_DURATION,
  METRIC_HTTP_SERVER_ACTIVE,
  METRIC_HTTP_SERVER_DURATION,
} from '../core/constants.js'
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_DB_CLIENT_CONNECTION_COUNT,
  METRIC_DB_CLIENT_CONNECTION_MAX,
  METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '../core/semconv.js'

export interface OtlpName {
  name: string
  unit: string
}

/** Prometheus rendering → the convention's name and unit. */
const CONVENTIONS = new Map<string, OtlpName>([
  [METRIC_HTTP_SERVER_DURATION, { name: METRIC_HTTP_SERVER_REQUEST_DURATION, unit: 's' }],
  [METRIC_HTTP_SERVER_ACTIVE, { name: METRIC_HTTP_SERVER_ACTIVE_REQUESTS, unit: '{request}' }],
  [METRIC_HTTP_CLIENT_DURATION, { name: METRIC_HTTP_CLIENT_REQUEST_DURATION, unit: 's' }],
  ['db_client_operation_duration_seconds', { name: METRIC_DB_CLIENT_OPERATION_DURATION, unit: 's' }],
  ['db_client_connection_count', { name: METRIC_DB_CLIENT_CONNECTION_COUNT, unit: '{connection}' }],
  ['db_client_connection_max', { name: METRIC_DB_CLIENT_CONNECTION_MAX, unit: '{connection}' }],
  ['db_client_connection_pending_requests', { name: METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS, unit: '{request}' }],
])

/** Prometheus label → the convention's attribute key, for the metrics above. */
const ATTRIBUTES = new Map<string, string>([
  [LABEL_HTTP_METHOD, ATTR_HTTP_REQUEST_METHOD],
  [LABEL_HTTP_ROUTE, ATTR_HTTP_ROUTE],
  [LABEL_HTTP_STATUS, ATTR_HTTP_RESPONSE_STATUS_CODE],
  ['server_address', ATTR_SERVER_ADDRESS],
  ['server_port', ATTR_SERVER_PORT],
  ['error_type', ATTR_ERROR_TYPE],
  ['db_system_name', ATTR_DB_SYSTEM_NAME],
  ['db_operation_name', ATTR_DB_OPERATION_NAME],
  ['db_collection_name', ATTR_DB_COLLECTION_NAME],
  ['db_client_connection_state', ATTR_DB_CLIENT_CONNECTION_STATE],
  ['db_client_connection_pool_name', ATTR_DB_CLIENT_CONNECTION_POOL_NAME],
])

/** Name suffixes (after `_total`, which counters carry) → UCUM units. */
const SUFFIX_UNITS: ReadonlyArray<[string, string]> = [
  ['_seconds', 's'],
  ['_milliseconds', 'ms'],
  ['_bytes', 'By'],
  ['_ratio', '1'],
]

/**
 * @example otlpName('http_server_request_duration_seconds') // { name: 'http.server.request.duration', unit: 's' }
 */
export function otlpName(prometheusName: string): OtlpName {
  const convention = CONVENTIONS.get(prometheusName)
  if (convention !== undefined) return convention
  const base = prometheusName.endsWith('_total') ? prometheusName.slice(0, -'_total'.length) : prometheusName
  for (const [suffix, unit] of SUFFIX_UNITS) if (base.endsWith(suffix)) return { name: prometheusName, unit }
  return { name: prometheusName, unit: '' }
}

/** The attribute keys of a metric's labels: the convention's for the metrics that render one, else the labels. */
export function otlpAttributeKeys(prometheusName: string, labelNames: readonly string[]): readonly string[] {
  if (!CONVENTIONS.has(prometheusName)) return labelNames
  return labelNames.map((label) => ATTRIBUTES.get(label) ?? label)
}
