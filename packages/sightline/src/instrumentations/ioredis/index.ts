export { redisCheck } from '../cache/cache.js'
export { RedisCache, type RedisCacheOptions } from '../redis-common/cache.js'
export { METRIC_REDIS_READY, METRIC_REDIS_RECONNECTS } from '../redis-common/connection.js'
export { CLIENT_TIMEOUT } from '../redis-common/errors.js'
export { type RedisCacheClient, redisCache } from './cache.js'
export {
  type IoredisClient,
  type IoredisCommand,
  type IoredisInstrumentationOptions,
  instrumentIoredis,
} from './instrument.js'
