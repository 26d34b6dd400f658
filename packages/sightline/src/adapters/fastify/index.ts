export { addRouteHooks, type FastifySightlineOptions, sightlineFastify } from './fastify.js'
