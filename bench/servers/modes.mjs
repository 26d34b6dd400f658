// @module bench/servers/modes
// What each benchmark mode turns on. Shared by the three framework servers.
import { createSightline } from 'sightline'

/** Sightline options per mode; `undefined` means Sightline is not loaded at all. */
export const SIGHTLINE_MODES = {
  'sightline-ids': { accessLog: false, metrics: false },
  'sightline-logs': { accessLog: true, metrics: false },
  'sightline-metrics': { accessLog: false, metrics: true },
  sightline: {},
}

export function sightlineFor(mode) {
  const options = SIGHTLINE_MODES[mode]
  if (options === undefined) return undefined
  return createSightline({
    service: 'bench',
    logFormat: 'json',
    shutdown: { signals: false },
    ...options,
  })
}

export const port = Number(process.env.PORT ?? 3000)
export const mode = process.env.BENCH_MODE ?? 'bare'
export const payload = (id) => ({ id, name: 'bench', ok: true })
