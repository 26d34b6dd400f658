export {
  instrumentPool,
  METRIC_POOL_COUNT,
  METRIC_POOL_MAX,
  METRIC_POOL_PENDING,
  METRIC_POOL_TIMEOUTS,
  METRIC_POOL_WAIT,
  type PoolInstrumentationOptions,
  postgresCheck,
} from './pool.js'
export {
  DB_DURATION_BUCKETS,
  errorTypeOf,
  instrumentQuery,
  METRIC_DB_DURATION,
  type QueryMeta,
  QueryRecorder,
} from './query.js'
export { parseStatement } from './sql.js'
export { CLIENT_TIMEOUT } from './timeouts.js'
