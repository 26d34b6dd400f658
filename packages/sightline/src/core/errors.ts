/**
 * @module errors
 * Every error Sightline throws, listed once with a stable code. A retired code is never reused.
 */

export const ERROR_CODES = {
  SIGHTLINE_ERR_INVALID_OPTION: 'SIGHTLINE_ERR_INVALID_OPTION',
  /** A metric or label name Prometheus would refuse (or a counter not ending in `_total`). */
  SIGHTLINE_ERR_METRIC_NAME: 'SIGHTLINE_ERR_METRIC_NAME',
  /** A metric's configuration other than its names: no help text, buckets not finite and ascending. */
  SIGHTLINE_ERR_METRIC_CONFIG: 'SIGHTLINE_ERR_METRIC_CONFIG',
  SIGHTLINE_ERR_METRIC_CONFLICT: 'SIGHTLINE_ERR_METRIC_CONFLICT',
  /**
   * A metric an adopted registry (prom-client's) emits under a name Sightline's registry emits too,
   * or another adopted registry does: refused at adoption, or when Sightline makes the metric later.
   */
  SIGHTLINE_ERR_METRIC_CLASH: 'SIGHTLINE_ERR_METRIC_CLASH',
  SIGHTLINE_ERR_LABELS: 'SIGHTLINE_ERR_LABELS',
  SIGHTLINE_ERR_CHECK_EXISTS: 'SIGHTLINE_ERR_CHECK_EXISTS',
  SIGHTLINE_ERR_INTERNAL: 'SIGHTLINE_ERR_INTERNAL',
  /** An optional peer dependency a chosen feature needs is not installed (the message names it). */
  SIGHTLINE_ERR_MISSING_PEER: 'SIGHTLINE_ERR_MISSING_PEER',
  /** A cache call refused without trying: the cache failed repeatedly and its circuit is open. */
  SIGHTLINE_ERR_CIRCUIT_OPEN: 'SIGHTLINE_ERR_CIRCUIT_OPEN',
  /** A service-level objective declaration (slo.yaml) that cannot be turned into rules: the message says where and why. */
  SIGHTLINE_ERR_SLO_DECLARATION: 'SIGHTLINE_ERR_SLO_DECLARATION',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** An error with a `code` a caller can switch on. */
export class SightlineError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = 'SightlineError'
    this.code = code
  }
}

/** A `TypeError` for a bad option, naming the option and what was received. */
export class SightlineOptionError extends TypeError {
  readonly code = ERROR_CODES.SIGHTLINE_ERR_INVALID_OPTION
  constructor(option: string, expected: string, received: unknown) {
    super(`option "${option}" must be ${expected}, received ${describe(received)}`)
    this.name = 'SightlineOptionError'
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/**
 * Loads an optional peer dependency a feature asked for, or throws SIGHTLINE_ERR_MISSING_PEER
 * naming the package to install and the feature that needs it.
 */
export async function importPeer<T>(name: string, feature: string): Promise<T> {
  try {
    return (await import(name)) as T
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new SightlineError(
      ERROR_CODES.SIGHTLINE_ERR_MISSING_PEER,
      `${feature} needs the package ${name}, which is not installed: npm install ${name}`,
    )
  }
}
