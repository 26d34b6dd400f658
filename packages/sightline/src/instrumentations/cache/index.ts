export { type BreakerOptions, CircuitOpenError } from './breaker.js'
export {
  type CacheInstrumentationOptions,
  type CacheLike,
  instrumentCache,
  METRIC_CACHE_CIRCUIT_OPEN,
  METRIC_CACHE_DURATION,
  METRIC_CACHE_REQUESTS,
  redisCheck,
} from './cache.js'
