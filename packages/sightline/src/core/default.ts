/**
 * @module default
 * The process-wide default instance, for adapters given no instance and for the zero-code launcher.
 */
import type { SightlineOptions } from './options.js'
import { Sightline } from './sightline.js'

let instance: Sightline | undefined

/**
 * Creates a Sightline instance; the first one created also becomes the default.
 * @example const sightline = createSightline({ service: 'doctor-api' })
 */
export function createSightline(options?: SightlineOptions): Sightline {
  const created = new Sightline(options)
  instance ??= created
  return created
}

/** The default instance, created from the environment on first use. */
export function getSightline(): Sightline {
  instance ??= new Sightline()
  return instance
}
