export { redisCheck } from '../cache/cache.js'
export { CLIENT_TIMEOUT } from './errors.js'
export {
  type IoredisClient,
  type IoredisCommand,
  type IoredisInstrumentationOptions,
  instrumentIoredis,
} from './instrument.js'
export { RedisCache, type RedisCacheClient, type RedisCacheOptions, redisCache } from './redis-cache.js'
