/**
 * @module tracing/trace-state
 * W3C `tracestate` (Trace Context Level 2, "tracestate Header Field Values"), parsed as the spec's
 * processing model has it: the header is one list, valid as a whole or discarded as a whole. More
 * than 32 list-members, a duplicated key, a key or value outside its grammar or past its length: no
 * tracestate at all (OpenTelemetry's TraceState drops members one by one and truncates instead, so
 * it forwards a list the sender never wrote). Empty and whitespace-only members and optional
 * whitespace around members are accepted and not sent on.
 *
 * Parsing is one scan of the header with no allocation when it is already in the canonical form
 * (no empty members, no whitespace between them), which is what every well-behaved sender writes:
 * the incoming header is then forwarded as the same string. Keys and values are split out only if
 * something asks for them (`get`, `set`, `unset`).
 */
import type { TraceState } from '@opentelemetry/api'

/** "There can be a maximum of 32 list-members in a list." */
export const MAX_TRACE_STATE_MEMBERS = 32
/** A simple key: lcalpha then up to 255 key characters. */
const MAX_SIMPLE_KEY = 256
/** A multi-tenant key's tenant-id: lcalpha or digit then up to 240 key characters. */
const MAX_TENANT_ID = 241
/** A multi-tenant key's system-id: lcalpha then up to 13 key characters. */
const MAX_SYSTEM_ID = 14
/** A value: up to 255 `chr` then one `nblk-chr`. */
const MAX_VALUE = 256

const SPACE = 0x20
const TAB = 0x09
const COMMA = 0x2c
const EQUALS = 0x3d
const AT = 0x40

function isLcAlpha(code: number): boolean {
  return code >= 0x61 && code <= 0x7a
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39
}

/** lcalpha / DIGIT / "_" / "-" / "*" / "/" */
function isKeyChar(code: number): boolean {
  return isLcAlpha(code) || isDigit(code) || code === 0x5f || code === 0x2d || code === 0x2a || code === 0x2f
}

/** nblk-chr = %x21-2B / %x2D-3C / %x3E-7E: printable ASCII but space, comma and '='. */
function isNonBlankValueChar(code: number): boolean {
  return code >= 0x21 && code <= 0x7e && code !== COMMA && code !== EQUALS
}

/**
 * True when `header.slice(start, end)` is a key: `simple-key` (lcalpha 0*255 keychar) or
 * `multi-tenant-key` (tenant-id "@" system-id).
 */
function isKey(header: string, start: number, end: number): boolean {
  const first = header.charCodeAt(start)
  if (!isLcAlpha(first) && !isDigit(first)) return false
  let at = -1
  for (let i = start + 1; i < end; i++) {
    const code = header.charCodeAt(i)
    if (code === AT) {
      if (at !== -1) return false
      at = i
    } else if (!isKeyChar(code)) {
      return false
    }
  }
  if (at === -1) return isLcAlpha(first) && end - start <= MAX_SIMPLE_KEY
  const system = at + 1
  return (
    at - start <= MAX_TENANT_ID &&
    end - system >= 1 &&
    end - system <= MAX_SYSTEM_ID &&
    isLcAlpha(header.charCodeAt(system))
  )
}

/** True when `header.slice(start, end)` is a value: 0*255 chr then nblk-chr (chr adds space). */
function isValue(header: string, start: number, end: number): boolean {
  const length = end - start
  if (length < 1 || length > MAX_VALUE) return false
  for (let i = start; i < end - 1; i++) {
    const code = header.charCodeAt(i)
    if (code !== SPACE && !isNonBlankValueChar(code)) return false
  }
  return isNonBlankValueChar(header.charCodeAt(end - 1))
}

/** True when the keys of members `a` and `b` (start/equals offsets into `header`) are the same. */
function sameKey(header: string, aStart: number, aEquals: number, bStart: number, bEquals: number): boolean {
  const length = aEquals - aStart
  if (bEquals - bStart !== length) return false
  for (let i = 0; i < length; i++) {
    if (header.charCodeAt(aStart + i) !== header.charCodeAt(bStart + i)) return false
  }
  return true
}

/**
 * Parses a combined `tracestate` header (several fields already joined with ','). `undefined` when
 * the list is invalid or has no member: either way nothing is forwarded.
 */
export function parseTraceState(header: string): W3CTraceState | undefined {
  // Keeping each member's offsets would need arrays; the duplicate check rescans the earlier
  // members instead (at most 32 * 31 / 2 key comparisons, most ending at the first character).
  let members = 0
  let canonical = true
  let position = 0
  const length = header.length
  while (position <= length) {
    let comma = header.indexOf(',', position)
    if (comma === -1) comma = length
    let start = position
    let end = comma
    while (start < end && (header.charCodeAt(start) === SPACE || header.charCodeAt(start) === TAB)) start++
    while (end > start && (header.charCodeAt(end - 1) === SPACE || header.charCodeAt(end - 1) === TAB)) end--
    if (start === end) {
      // An empty or whitespace-only member: allowed, not forwarded.
      canonical = false
    } else {
      if (start !== position || end !== comma) canonical = false
      const equals = header.indexOf('=', start)
      if (equals === -1 || equals >= end) return undefined
      if (!isKey(header, start, equals) || !isValue(header, equals + 1, end)) return undefined
      if (++members > MAX_TRACE_STATE_MEMBERS) return undefined
      if (members > 1 && hasEarlierKey(header, position, start, equals)) return undefined
    }
    position = comma + 1
  }
  if (members === 0) return undefined
  return new W3CTraceState(canonical ? header : canonicalForm(header), undefined)
}

/** True when a member before offset `before` has the key `header.slice(start, equals)`. */
function hasEarlierKey(header: string, before: number, start: number, equals: number): boolean {
  let position = 0
  while (position < before) {
    let comma = header.indexOf(',', position)
    if (comma === -1 || comma > before) comma = before
    let memberStart = position
    while (memberStart < comma && (header.charCodeAt(memberStart) === SPACE || header.charCodeAt(memberStart) === TAB))
      memberStart++
    if (memberStart < comma) {
      const memberEquals = header.indexOf('=', memberStart)
      if (sameKey(header, memberStart, memberEquals, start, equals)) return true
    }
    position = comma + 1
  }
  return false
}

/** The members of a valid header, joined with ',' and nothing else. */
function canonicalForm(header: string): string {
  let out = ''
  for (const member of header.split(',')) {
    const trimmed = trimOws(member)
    if (trimmed === '') continue
    out = out === '' ? trimmed : `${out},${trimmed}`
  }
  return out
}

function trimOws(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text.charCodeAt(start) === SPACE || text.charCodeAt(start) === TAB)) start++
  while (end > start && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === TAB)) end--
  return text.slice(start, end)
}

/**
 * A valid tracestate. Immutable, as OpenTelemetry's interface has it: `set` and `unset` return a
 * new one. `serialize()` is the canonical header, never an empty string (an empty list is no
 * tracestate: `unset` of the last key still returns an instance, which serializes to '' and the
 * propagator then sends no header).
 */
export class W3CTraceState implements TraceState {
  /** Keys and values, left to right; split from the header on first use. */
  private entries: [string, string][] | undefined

  constructor(
    private readonly header: string,
    entries: [string, string][] | undefined,
  ) {
    this.entries = entries
  }

  private list(): [string, string][] {
    let entries = this.entries
    if (entries === undefined) {
      entries = []
      if (this.header !== '') {
        for (const member of this.header.split(',')) {
          const equals = member.indexOf('=')
          entries.push([member.slice(0, equals), member.slice(equals + 1)])
        }
      }
      this.entries = entries
    }
    return entries
  }

  get(key: string): string | undefined {
    for (const [name, value] of this.list()) if (name === key) return value
    return undefined
  }

  /**
   * The spec's "update key value" / "add a new key/value pair": the member moves to the left. An
   * invalid key or value, or a 33rd member, leaves the list as it was.
   */
  set(key: string, value: string): W3CTraceState {
    if (!isKey(key, 0, key.length) || !isValue(value, 0, value.length)) return this
    const rest = this.list().filter(([name]) => name !== key)
    if (rest.length >= MAX_TRACE_STATE_MEMBERS) return this
    const entries: [string, string][] = [[key, value], ...rest]
    return new W3CTraceState(serializeEntries(entries), entries)
  }

  unset(key: string): W3CTraceState {
    const entries = this.list()
    const rest = entries.filter(([name]) => name !== key)
    if (rest.length === entries.length) return this
    return new W3CTraceState(serializeEntries(rest), rest)
  }

  serialize(): string {
    return this.header
  }
}

function serializeEntries(entries: [string, string][]): string {
  return entries.map(([key, value]) => `${key}=${value}`).join(',')
}
