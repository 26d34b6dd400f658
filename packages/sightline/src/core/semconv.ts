/**
 * @module semconv
 * The OpenTelemetry semantic-convention names Sightline emits, under the names
 * `@opentelemetry/semantic-conventions` gives them. Copied rather than imported: the package is
 * large and its incubating entry is not for runtime use; core/semconv.test.ts checks every value
 * against the package (a dev dependency), so a name here cannot drift from the conventions.
 * Prometheus renderings of the metric names live in core/constants.ts, checked by the same test.
 */

// Resource
export const ATTR_SERVICE_NAME = 'service.name'
export const ATTR_SERVICE_VERSION = 'service.version'
export const ATTR_HOST_NAME = 'host.name'
export const ATTR_PROCESS_PID = 'process.pid'
export const ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name'
export const ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version'

// HTTP server and client spans
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method'
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original'
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code'
export const ATTR_HTTP_ROUTE = 'http.route'
export const ATTR_URL_PATH = 'url.path'
export const ATTR_URL_SCHEME = 'url.scheme'
export const ATTR_URL_FULL = 'url.full'
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version'
export const ATTR_CLIENT_ADDRESS = 'client.address'
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original'
export const ATTR_SERVER_ADDRESS = 'server.address'
export const ATTR_SERVER_PORT = 'server.port'
export const ATTR_ERROR_TYPE = 'error.type'

// Exceptions
export const EVENT_EXCEPTION = 'exception'
export const ATTR_EXCEPTION_TYPE = 'exception.type'
export const ATTR_EXCEPTION_MESSAGE = 'exception.message'
export const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace'
/** On an exception event: where the error was thrown (its top application frame). */
export const ATTR_CODE_FILE_PATH = 'code.file.path'
export const ATTR_CODE_LINE_NUMBER = 'code.line.number'

// Databases (and caches, which are databases to the conventions)
export const ATTR_DB_SYSTEM_NAME = 'db.system.name'
export const ATTR_DB_OPERATION_NAME = 'db.operation.name'
export const ATTR_DB_QUERY_TEXT = 'db.query.text'
export const ATTR_DB_COLLECTION_NAME = 'db.collection.name'
export const ATTR_DB_RESPONSE_STATUS_CODE = 'db.response.status_code'
export const ATTR_DB_CLIENT_CONNECTION_STATE = 'db.client.connection.state'
export const ATTR_DB_CLIENT_CONNECTION_POOL_NAME = 'db.client.connection.pool.name'
export const DB_SYSTEM_NAME_VALUE_MYSQL = 'mysql'
export const DB_SYSTEM_NAME_VALUE_MARIADB = 'mariadb'

// Metrics (OpenTelemetry names; core/constants.ts has their Prometheus renderings)
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration'
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests'
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration'
export const METRIC_DB_CLIENT_OPERATION_DURATION = 'db.client.operation.duration'
export const METRIC_DB_CLIENT_CONNECTION_COUNT = 'db.client.connection.count'
export const METRIC_DB_CLIENT_CONNECTION_MAX = 'db.client.connection.max'
export const METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS = 'db.client.connection.pending_requests'
