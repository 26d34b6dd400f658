/**
 * @module viewer/ui/format
 * Number and time formatting shared by the pages.
 */

/** `0.42 ms`, `12.3 ms`, `1.25 s` */
export function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

/** Local wall-clock time with milliseconds. */
export function clock(ms: number): string {
  const date = new Date(ms)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

/** Local date and time with milliseconds, for detail tables. */
export function dateTime(ms: number): string {
  const date = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock(ms)}`
}

export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 2 : 1)} %`
}

/**
 * A request rate in the unit that keeps it readable: `120/s`, `4.2/s`, `3.5/min`, `12/h`; never
 * `0.00 req/s` for a few requests.
 */
export function rate(perSecond: number): string {
  if (!(perSecond > 0)) return '0'
  if (perSecond >= 100) return `${perSecond.toFixed(0)}/s`
  if (perSecond >= 1) return `${trim(perSecond.toFixed(1))}/s`
  const perMinute = perSecond * 60
  if (perMinute >= 1) return `${trim(perMinute.toFixed(1))}/min`
  return `${trim((perMinute * 60).toFixed(1))}/h`
}

/** A count that may be sampling-weighted (fractional): whole numbers, with thousands grouped. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en')
}

/** A plain number for axes and metric values: up to three significant decimals, no trailing zeros. */
export function number(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const magnitude = Math.abs(value)
  if (magnitude >= 1e9) return `${trim((value / 1e9).toFixed(2))}G`
  if (magnitude >= 1e6) return `${trim((value / 1e6).toFixed(2))}M`
  if (magnitude >= 1e4) return `${trim((value / 1e3).toFixed(1))}k`
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 1) return trim(value.toFixed(2))
  return trim(value.toPrecision(3))
}

function trim(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text
}

/** A CSS class for a log level. */
export function levelClass(level: string): string {
  return level === 'error' || level === 'fatal' ? 'err' : level === 'warn' ? 'warn' : 'dim'
}
