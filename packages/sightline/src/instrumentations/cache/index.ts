export {
  type CacheInstrumentationOptions,
  type CacheLike,
  instrumentCache,
  METRIC_CACHE_DURATION,
  METRIC_CACHE_REQUESTS,
  redisCheck,
} from './cache.js'
