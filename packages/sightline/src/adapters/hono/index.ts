export {
  type HonoAppLike,
  type HonoContextLike,
  type HonoServerOptions,
  type HonoSightlineOptions,
  honoAppRoute,
  honoRoute,
  instrumentHonoServer,
  sightlineHono,
} from './hono.js'
