export { redisCheck } from '../cache/cache.js'
export { RedisCache, type RedisCacheOptions } from '../redis-common/cache.js'
export { METRIC_REDIS_READY, METRIC_REDIS_RECONNECTS } from '../redis-common/connection.js'
export { CLIENT_TIMEOUT } from '../redis-common/errors.js'
export { type NodeRedisCacheClient, redisCache } from './cache.js'
export {
  instrumentNodeRedis,
  type NodeRedisClient,
  type NodeRedisInstrumentationOptions,
} from './instrument.js'
