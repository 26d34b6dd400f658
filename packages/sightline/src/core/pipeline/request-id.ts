/**
 * @module request-id
 * Accepts a caller's `X-Request-ID` when it is safe to log and forward, generates one otherwise.
 */
import { randomBytes } from 'node:crypto'
import { flatString } from '../logging/json.js'

/** 1–128 characters of letters, digits and `-_.:+=/@`: nothing that can break a log line or a header. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9\-_.:+=/@]{1,128}$/

/** True when an incoming request id may be reused as it is. */
export function isSafeRequestId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value)
}

/** The counter's last two base-36 digits come from this table: 36² ids per change of the rest. */
const LOW_SPAN = 36 * 36
const LOW_DIGITS: readonly string[] = Array.from({ length: LOW_SPAN }, (_, i) => i.toString(36).padStart(2, '0'))
/** Past this the high part's digits would stop being exact: a new prefix is drawn. */
const MAX_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / LOW_SPAN)

/**
 * Returns a generator of ids unique across processes: a random 64-bit prefix drawn once per
 * process plus a counter, in base 36. The counter's last two digits come from a table and the
 * rest is remade once every 1,296 ids: `Number#toString(36)` per id cost ~250 instructions under
 * callgrind (a call into V8's runtime), a fifth of what the request id feature costs.
 * @example const next = createRequestIdGenerator(); next() // 'k3j9x0q1v2m4-001'
 */
export function createRequestIdGenerator(): () => string {
  let prefix = ''
  let high = 0
  let low = 0
  let head = ''
  const reseed = () => {
    prefix = `${randomBytes(8).readBigUInt64BE().toString(36)}-`
    high = 0
    low = 0
    // Flat (see flatString): every id is this head and two digits, copied into a header and a line.
    head = flatString(`${prefix}0`)
  }
  reseed()
  return () => {
    if (++low === LOW_SPAN) {
      low = 0
      if (++high > MAX_HIGH) reseed()
      else head = flatString(prefix + high.toString(36))
    }
    return head + (LOW_DIGITS[low] as string)
  }
}
