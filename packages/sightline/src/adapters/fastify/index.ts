export { type FastifySightlineOptions, sightlineFastify } from './fastify.js'
