/**
 * @module tracing/baggage
 * W3C Baggage: the incoming `baggage` header becomes OpenTelemetry baggage in the request's
 * context (`propagation.getBaggage(context.active())`), and the context's baggage is sent on every
 * outgoing call. Limits as the spec has them: at most 64 list-members and 8192 bytes of
 * baggage-string; a member that is not of the grammar (key a token, value baggage-octets and valid
 * percent-encoding, properties of the grammar) is dropped on its own, and members past a limit are
 * dropped, the others kept ("MAY drop ... entries"). Several `baggage` fields are one list.
 *
 * The header a baggage was parsed from is kept with it (by this propagator, per baggage object), so
 * baggage forwarded unchanged is sent as that string, not serialized again on every call.
 */
import {
  type Baggage,
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import { isTracingSuppressed } from '../vendor/otel-sdk.js'

export const BAGGAGE_HEADER = 'baggage'
/** "A platform MUST propagate all list-members up to at least 64 list-members." */
export const MAX_BAGGAGE_MEMBERS = 64
/** "... if the resulting baggage-string would be 8192 bytes or less." */
export const MAX_BAGGAGE_BYTES = 8192

const SPACE = 0x20
const TAB = 0x09

/** RFC 7230 tchar: "!#$%&'*+-.^_`|~", digits and letters. */
function isTokenChar(code: number): boolean {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return true
  switch (code) {
    case 0x21:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x27:
    case 0x2a:
    case 0x2b:
    case 0x2d:
    case 0x2e:
    case 0x5e:
    case 0x5f:
    case 0x60:
    case 0x7c:
    case 0x7e:
      return true
    default:
      return false
  }
}

/** baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
function isBaggageOctet(code: number): boolean {
  return (
    code === 0x21 ||
    (code >= 0x23 && code <= 0x2b) ||
    (code >= 0x2d && code <= 0x3a) ||
    (code >= 0x3c && code <= 0x5b) ||
    (code >= 0x5d && code <= 0x7e)
  )
}

function isOws(code: number): boolean {
  return code === SPACE || code === TAB
}

/** `text.slice(start, end)` without leading and trailing OWS, as [start, end). */
function trim(text: string, start: number, end: number): [number, number] {
  while (start < end && isOws(text.charCodeAt(start))) start++
  while (end > start && isOws(text.charCodeAt(end - 1))) end--
  return [start, end]
}

function isToken(text: string, start: number, end: number): boolean {
  if (start === end) return false
  for (let i = start; i < end; i++) if (!isTokenChar(text.charCodeAt(i))) return false
  return true
}

function isValue(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isBaggageOctet(text.charCodeAt(i))) return false
  return true
}

/** property = key OWS "=" OWS value / key OWS (the surrounding OWS already trimmed). */
function isProperty(text: string, start: number, end: number): boolean {
  const equals = text.indexOf('=', start)
  if (equals === -1 || equals >= end) return isToken(text, start, end)
  const [keyStart, keyEnd] = trim(text, start, equals)
  const [valueStart, valueEnd] = trim(text, equals + 1, end)
  return isToken(text, keyStart, keyEnd) && isValue(text, valueStart, valueEnd)
}

/** A list-member, parsed; `undefined` when it is not of the grammar. */
interface Member {
  key: string
  entry: BaggageEntry
  /** The member as it is forwarded: key=value;properties, without OWS around the separators. */
  text: string
}

function parseMember(text: string, start: number, end: number): Member | undefined {
  let semicolon = text.indexOf(';', start)
  if (semicolon === -1 || semicolon > end) semicolon = end
  const equals = text.indexOf('=', start)
  if (equals === -1 || equals >= semicolon) return undefined
  const [keyStart, keyEnd] = trim(text, start, equals)
  const [valueStart, valueEnd] = trim(text, equals + 1, semicolon)
  if (!isToken(text, keyStart, keyEnd) || !isValue(text, valueStart, valueEnd)) return undefined
  const rawKey = text.slice(keyStart, keyEnd)
  const rawValue = text.slice(valueStart, valueEnd)
  let key = rawKey
  let value = rawValue
  try {
    // A value is percent-encoded UTF-8; a malformed escape makes the member invalid.
    if (rawKey.indexOf('%') !== -1) key = decodeURIComponent(rawKey)
    if (rawValue.indexOf('%') !== -1) value = decodeURIComponent(rawValue)
  } catch {
    return undefined
  }
  let forwarded = `${rawKey}=${rawValue}`
  let metadata: string | undefined
  if (semicolon < end) {
    const properties: string[] = []
    let position = semicolon + 1
    while (position <= end) {
      let next = text.indexOf(';', position)
      if (next === -1 || next > end) next = end
      const [propertyStart, propertyEnd] = trim(text, position, next)
      if (!isProperty(text, propertyStart, propertyEnd)) return undefined
      properties.push(text.slice(propertyStart, propertyEnd))
      position = next + 1
    }
    metadata = properties.join(';')
    forwarded = `${forwarded};${metadata}`
  }
  const entry: BaggageEntry =
    metadata === undefined ? { value } : { value, metadata: baggageEntryMetadataFromString(metadata) }
  return { key, entry, text: forwarded }
}

/** The baggage of a combined `baggage` header and the header as it is forwarded, or `undefined`. */
export function parseBaggage(header: string): { baggage: Baggage; header: string } | undefined {
  const entries: Record<string, BaggageEntry> = {}
  let forwarded = ''
  let members = 0
  let position = 0
  const length = header.length
  while (position <= length && members < MAX_BAGGAGE_MEMBERS) {
    let comma = header.indexOf(',', position)
    if (comma === -1) comma = length
    const [start, end] = trim(header, position, comma)
    position = comma + 1
    if (start === end) continue
    const member = parseMember(header, start, end)
    if (member === undefined) continue
    const bytes = forwarded.length + (forwarded === '' ? 0 : 1) + member.text.length
    if (bytes > MAX_BAGGAGE_BYTES) continue
    forwarded = forwarded === '' ? member.text : `${forwarded},${member.text}`
    entries[member.key] = member.entry
    members++
  }
  if (members === 0) return undefined
  return { baggage: propagation.createBaggage(entries), header: forwarded }
}

/** Baggage set by the application, serialized within the same limits. */
function serializeBaggage(baggage: Baggage): string {
  let out = ''
  let members = 0
  for (const [key, entry] of baggage.getAllEntries()) {
    if (members === MAX_BAGGAGE_MEMBERS) break
    const name = encodeURIComponent(key)
    if (!isToken(name, 0, name.length)) continue
    const metadata = entry.metadata?.toString()
    const member =
      metadata === undefined || metadata === ''
        ? `${name}=${encodeURIComponent(entry.value)}`
        : `${name}=${encodeURIComponent(entry.value)};${metadata}`
    const bytes = out.length + (out === '' ? 0 : 1) + member.length
    if (bytes > MAX_BAGGAGE_BYTES) continue
    out = out === '' ? member : `${out},${member}`
    members++
  }
  return out
}

export class W3CBaggage implements TextMapPropagator {
  /** The header of each baggage this propagator extracted or sent, so each is serialized once. */
  private readonly headers = new WeakMap<Baggage, string>()

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context)
    if (baggage === undefined || isTracingSuppressed(context)) return
    let header = this.headers.get(baggage)
    if (header === undefined) {
      header = serializeBaggage(baggage)
      this.headers.set(baggage, header)
    }
    if (header !== '') setter.set(carrier, BAGGAGE_HEADER, header)
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const value = getter.get(carrier, BAGGAGE_HEADER)
    if (value === undefined) return context
    const parsed = parseBaggage(typeof value === 'string' ? value : value.join(','))
    if (parsed === undefined) return context
    this.headers.set(parsed.baggage, parsed.header)
    return propagation.setBaggage(context, parsed.baggage)
  }

  fields(): string[] {
    return [BAGGAGE_HEADER]
  }
}
