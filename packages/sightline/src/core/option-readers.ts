/**
 * @module option-readers
 * How every Sightline package reads an option: the value given in code wins, else its environment
 * variable, else the default; a wrong value is a `SightlineOptionError` (SIGHTLINE_ERR_INVALID_OPTION)
 * naming the option, what it must be and what it received, thrown once, at construction. Used by
 * the library's options, tracing's, the launcher's and the viewer's (`sightline/options`).
 */
import { SightlineOptionError } from './errors.js'

export interface IntegerBounds {
  /** Smallest value accepted. Default 0. */
  min?: number
  /** Largest value accepted. Default none. */
  max?: number
}

const unset = (env: string | undefined): env is undefined => env === undefined || env.trim() === ''

/** A string: `value`, else `fallback` (an empty string counts as not given). */
export function readString(name: string, value: unknown, fallback: string): string {
  if (value === undefined || value === '') return fallback
  if (typeof value !== 'string') throw new SightlineOptionError(name, 'a string', value)
  return value
}

/** A URL path starting with `/`. */
export function readPath(name: string, value: unknown, fallback: string): string {
  const out = readString(name, value, fallback)
  if (!out.startsWith('/')) throw new SightlineOptionError(name, 'a path starting with "/"', value)
  return out
}

/** An array of strings; empty when not given. */
export function readStringList(name: string, value: unknown): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new SightlineOptionError(name, 'an array of strings', value)
  }
  return value
}

/** A boolean: `value`, else the variable (`true`/`1`/`yes`, `false`/`0`/`no`), else `fallback`. */
export function readBoolean(name: string, value: unknown, envValue: string | undefined, fallback: boolean): boolean {
  if (value !== undefined) {
    if (typeof value !== 'boolean') throw new SightlineOptionError(name, 'a boolean', value)
    return value
  }
  if (unset(envValue)) return fallback
  const lower = envValue.trim().toLowerCase()
  if (lower === 'true' || lower === '1' || lower === 'yes') return true
  if (lower === 'false' || lower === '0' || lower === 'no') return false
  throw new SightlineOptionError(name, 'true or false', envValue)
}

/** An integer within `bounds`: `value`, else the variable, else `fallback`. */
export function readInteger(
  name: string,
  value: unknown,
  envValue: string | undefined,
  fallback: number,
  bounds: IntegerBounds = {},
): number {
  const raw = value ?? (unset(envValue) ? undefined : Number(envValue))
  if (raw === undefined) return fallback
  const min = bounds.min ?? 0
  const max = bounds.max ?? Number.POSITIVE_INFINITY
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw new SightlineOptionError(name, describeBounds(min, max), value ?? envValue)
  }
  return raw
}

/** An optional integer within `bounds`: `undefined` when neither the value nor the variable is given. */
export function readOptionalInteger(
  name: string,
  value: unknown,
  envValue: string | undefined,
  bounds: IntegerBounds = {},
): number | undefined {
  if (value === undefined && unset(envValue)) return undefined
  return readInteger(name, value, envValue, 0, bounds)
}

function describeBounds(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY)
    return min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`
  return `an integer between ${min} and ${max}`
}
