/**
 * @module viewer/values
 * OTLP `AnyValue`s and key/value lists to the viewer's attribute values, within limits. Nested
 * arrays and maps become one JSON text, written in a single pass with a running character budget
 * and a depth limit: converting each level to text and quoting it again in its parent doubled the
 * length per level, so an 850-byte span nested 24 deep became a string of 134 million characters.
 * Nothing is built past the budget; what is cut ends with `…` and is counted.
 */
import type { NormaliseCounters } from './counters.js'
import type { Attributes, AttributeValue } from './model.js'

export interface ValueLimits {
  maxAttributes: number
  maxKeyLength: number
  maxValueLength: number
}

/** Levels of arrays and maps written out; deeper ones become `"…"`. */
export const MAX_NESTING_DEPTH = 8
const CUT_MARK = '…'

type Json = Record<string, unknown>

/**
 * The elements of a JSON array or of a lazily decoded protobuf list; nothing for anything else.
 * @example items([1, 2]) // [1, 2]
 */
export function items(value: unknown): Iterable<unknown> {
  if (value === null || typeof value !== 'object') return []
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' ? (value as Iterable<unknown>) : []
}

/** How many elements `items(value)` has (arrays and lazy lists both have a length). */
export function itemCount(value: unknown): number {
  const length = value !== null && typeof value === 'object' ? (value as { length?: unknown }).length : 0
  return typeof length === 'number' ? length : 0
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object'
}

/**
 * `value` cut to `max` characters (plus `…`), counted. The cut is copied: a slice of a long string
 * keeps the whole original alive in V8, so an 8 KB cut of a 15 MB value would retain 15 MB.
 */
export function cut(value: string, max: number, counters: NormaliseCounters): string {
  if (value.length <= max) return value
  counters.valuesTruncated++
  return copy(value.slice(0, max)) + CUT_MARK
}

function copy(text: string): string {
  // utf16le round-trips every UTF-16 code unit, lone surrogates included.
  return Buffer.from(text, 'utf16le').toString('utf16le')
}

/** A string field (name, message): a string cut to the value limit, else empty. */
export function stringField(value: unknown, limits: ValueLimits, counters: NormaliseCounters): string {
  return typeof value === 'string' ? cut(value, limits.maxValueLength, counters) : ''
}

/**
 * Key/value pairs to attributes: at most `maxAttributes` keys (the rest counted as dropped), keys
 * cut to `maxKeyLength`.
 */
export function attributesOf(value: unknown, limits: ValueLimits, counters: NormaliseCounters): Attributes {
  const out: Attributes = {}
  let kept = 0
  let seen = 0
  for (const kv of items(value)) {
    seen++
    if (!isObject(kv) || typeof kv.key !== 'string') continue
    if (kept >= limits.maxAttributes) {
      counters.attributesDropped += Math.max(1, itemCount(value) - seen + 1)
      break
    }
    const key = keyOf(kv.key, limits, counters)
    if (!Object.hasOwn(out, key)) kept++
    setOwn(out, key, anyValue(kv.value, limits, counters))
  }
  return out
}

/**
 * `out[key] = value` for any key: assigning to `__proto__` would set the object's prototype (to
 * null) or be ignored (a string), so an attribute called `__proto__` silently vanished from the
 * API and the pages. Defined as an own property it is stored and serialised as a plain key.
 */
function setOwn(out: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

function keyOf(key: string, limits: ValueLimits, counters: NormaliseCounters): string {
  if (key.length <= limits.maxKeyLength) return key
  counters.keysTruncated++
  return copy(key.slice(0, limits.maxKeyLength)) + CUT_MARK
}

/** One `AnyValue`: scalars stay scalars (strings cut), arrays and maps become bounded JSON text. */
export function anyValue(value: unknown, limits: ValueLimits, counters: NormaliseCounters): AttributeValue {
  if (!isObject(value)) return null
  if (value.stringValue !== undefined) return stringField(value.stringValue, limits, counters)
  if (value.boolValue !== undefined) return value.boolValue === true
  if (value.intValue !== undefined) return finite(value.intValue)
  if (value.doubleValue !== undefined) return finite(value.doubleValue)
  if (value.bytesValue !== undefined) return stringField(value.bytesValue, limits, counters)
  if (value.arrayValue !== undefined || value.kvlistValue !== undefined) {
    const text = new BoundedText(limits.maxValueLength)
    writeJson(value, text, 0, limits)
    if (text.truncated) counters.valuesTruncated++
    return text.toString()
  }
  return null
}

function finite(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0
  return Number.isFinite(n) ? n : 0
}

/**
 * Text appended piece by piece up to a character budget; once full, every further append is
 * ignored and the text ends with `…`. A level past the depth limit is written as `"…"`, which
 * keeps the text valid JSON.
 */
class BoundedText {
  private readonly parts: string[] = []
  private used = 0
  /** The budget was spent: the text is cut. */
  full = false
  /** Something was left out: the budget, or the depth. */
  truncated = false

  constructor(private readonly max: number) {}

  get room(): number {
    return this.max - this.used
  }

  add(piece: string): void {
    if (this.full) return
    if (piece.length <= this.room) {
      this.parts.push(piece)
      this.used += piece.length
      return
    }
    this.parts.push(piece.slice(0, this.room))
    this.used = this.max
    this.full = true
    this.truncated = true
  }

  tooDeep(): void {
    this.add(`"${CUT_MARK}"`)
    this.truncated = true
  }

  toString(): string {
    const text = this.parts.join('')
    return this.full ? copy(text) + CUT_MARK : text
  }
}

/** Writes one `AnyValue` as JSON into `out`, stopping as soon as the budget is spent. */
function writeJson(value: unknown, out: BoundedText, depth: number, limits: ValueLimits): void {
  if (out.full) return
  const scalar = scalarJson(value, out.room)
  if (scalar !== undefined) {
    out.add(scalar)
    return
  }
  if (depth >= MAX_NESTING_DEPTH) {
    out.tooDeep()
    return
  }
  const array = (value as Json).arrayValue
  const container = array ?? (value as Json).kvlistValue
  out.add(array !== undefined ? '[' : '{')
  let first = true
  for (const item of items(isObject(container) ? container.values : undefined)) {
    if (out.full) return
    if (!first) out.add(',')
    first = false
    if (array !== undefined) {
      writeJson(item, out, depth + 1, limits)
      continue
    }
    const key = isObject(item) && typeof item.key === 'string' ? item.key : ''
    out.add(stringJson(key.length > limits.maxKeyLength ? key.slice(0, limits.maxKeyLength) : key, out.room))
    out.add(':')
    writeJson(isObject(item) ? item.value : undefined, out, depth + 1, limits)
  }
  out.add(array !== undefined ? ']' : '}')
}

/** The JSON text of a value that is not an array or a map; `undefined` for one that is. */
function scalarJson(value: unknown, room: number): string | undefined {
  if (!isObject(value)) return 'null'
  if (value.stringValue !== undefined) return stringJson(value.stringValue, room)
  if (value.boolValue !== undefined) return value.boolValue === true ? 'true' : 'false'
  if (value.intValue !== undefined) return String(finite(value.intValue))
  if (value.doubleValue !== undefined) return String(finite(value.doubleValue))
  if (value.bytesValue !== undefined) return stringJson(value.bytesValue, room)
  if (value.arrayValue === undefined && value.kvlistValue === undefined) return 'null'
  return undefined
}

/** A JSON string literal; a long string is cut to the room left before quoting, so it costs no more than that. */
function stringJson(value: unknown, room: number): string {
  const text = typeof value === 'string' ? value : ''
  return JSON.stringify(text.length > room ? text.slice(0, room) : text)
}
