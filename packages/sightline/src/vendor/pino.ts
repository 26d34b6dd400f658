/**
 * @module vendor/pino
 * pino, bundled into one file by the build (scripts/bundle-vendor.mjs) for start-up: ~30 modules
 * loaded one by one otherwise. Sightline hands pino its own destination and never a transport, so
 * nothing here resolves pino's files at run time.
 */
export { pino } from 'pino'
