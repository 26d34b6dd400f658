export {
  type HonoContextLike,
  type HonoSightlineOptions,
  honoRoute,
  instrumentHonoServer,
  sightlineHono,
} from './hono.js'
