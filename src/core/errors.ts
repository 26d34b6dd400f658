/**
 * @module errors
 * Every error Sightline throws, listed once with a stable code. A retired code is never reused.
 */

export const ERROR_CODES = {
  SIGHTLINE_ERR_INVALID_OPTION: 'SIGHTLINE_ERR_INVALID_OPTION',
  SIGHTLINE_ERR_METRIC_NAME: 'SIGHTLINE_ERR_METRIC_NAME',
  SIGHTLINE_ERR_METRIC_CONFLICT: 'SIGHTLINE_ERR_METRIC_CONFLICT',
  SIGHTLINE_ERR_LABELS: 'SIGHTLINE_ERR_LABELS',
  SIGHTLINE_ERR_CHECK_EXISTS: 'SIGHTLINE_ERR_CHECK_EXISTS',
  SIGHTLINE_ERR_INTERNAL: 'SIGHTLINE_ERR_INTERNAL',
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
