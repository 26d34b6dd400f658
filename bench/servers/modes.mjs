// @module bench/servers/modes
// What each benchmark mode turns on. Shared by the three framework servers.
import { createSightline } from 'sightline'
import { setupTracing } from 'sightline/tracing'

/** Sightline options per mode; `undefined` means Sightline is not loaded at all. */
export const SIGHTLINE_MODES = {
  'sightline-ids': { accessLog: false, metrics: false },
  'sightline-logs': { accessLog: true, metrics: false },
  'sightline-metrics': { accessLog: false, metrics: true },
  sightline: {},
  'sightline-trace': {},
}

export async function sightlineFor(mode) {
  const options = SIGHTLINE_MODES[mode]
  if (options === undefined) return undefined
  const sightline = createSightline({
    service: 'bench',
    logFormat: 'json',
    shutdown: { signals: false },
    ...options,
  })
  // Ratio and endpoint come from OTEL_TRACES_SAMPLER_ARG and OTEL_EXPORTER_OTLP_ENDPOINT.
  if (mode === 'sightline-trace') await setupTracing(sightline)
  return sightline
}

export const port = Number(process.env.PORT ?? 3000)
export const mode = process.env.BENCH_MODE ?? 'bare'
export const payload = (id) => ({ id, name: 'bench', ok: true })
