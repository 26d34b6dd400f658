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

export function rate(perSecond: number): string {
  return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(2)
}

/** A CSS class for a log level. */
export function levelClass(level: string): string {
  return level === 'error' || level === 'fatal' ? 'err' : level === 'warn' ? 'warn' : 'dim'
}
