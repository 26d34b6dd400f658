/**
 * @module viewer/options
 * The viewer's options, validated once: port, host, token and store limits, from the arguments
 * or the environment (`SIGHTLINE_VIEWER_PORT`, `_HOST`, `_TOKEN`, `_MAX_TRACES`, `_MAX_LOGS`, `_MAX_METRIC_POINTS`,
 * `_MAX_METRIC_SERIES`, `_MAX_BYTES`, `_SCRAPE`, `_SCRAPE_INTERVAL_MS`, `_GRPC_PORT`, `_SLO`).
 */
import { SightlineOptionError } from 'sightline'
import { readInteger, readString } from 'sightline/options'
import type { ServiceObjectives } from 'sightline/slo'
import { DEFAULT_LIMITS, type StoreLimits } from './limits.js'
import { loadObjectives } from './slo.js'

export const DEFAULT_VIEWER_PORT = 9400
export const DEFAULT_VIEWER_HOST = '127.0.0.1'
/** Short tokens are guessable; the viewer shows everything the apps send it. */
const MIN_TOKEN_LENGTH = 16

export interface ViewerOptions {
  /** Env `SIGHTLINE_VIEWER_PORT`; default 9400; 0 picks a free port. */
  port?: number
  /** Env `SIGHTLINE_VIEWER_HOST`; default 127.0.0.1 (loopback only). */
  host?: string
  /** Env `SIGHTLINE_VIEWER_TOKEN`; required when `host` is not loopback. */
  token?: string
  limits?: Partial<StoreLimits>
  /** Env `SIGHTLINE_VIEWER_SLO`: a service's objectives file (slo.yaml), shown with their burn on /services. */
  slo?: string
  /** Env `SIGHTLINE_VIEWER_SCRAPE`: a Prometheus endpoint (http or https URL) to scrape into the metrics page. */
  scrape?: string
  /** Env `SIGHTLINE_VIEWER_SCRAPE_INTERVAL_MS`; default 15,000. */
  scrapeIntervalMs?: number
  /**
   * Env `SIGHTLINE_VIEWER_GRPC_PORT`: the OTLP/gRPC receiver's port on the same host; 0 picks a
   * free one, `-1` (or `off`) turns it off. Default off here; the `sightline-viewer` command's
   * default is 4317 (OTLP's gRPC port), so an SDK with default settings reaches it.
   */
  grpcPort?: number
}

export interface ResolvedViewerOptions {
  port: number
  host: string
  token: string | undefined
  limits: StoreLimits
  /** The objectives of the `slo` file, read and validated here; empty without one. */
  objectives: ServiceObjectives[]
  scrape: URL | undefined
  scrapeIntervalMs: number
  /** `undefined` when the gRPC receiver is off. */
  grpcPort: number | undefined
}

export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000
export const DEFAULT_GRPC_PORT = 4317

/**
 * @example resolveViewerOptions({ port: 0 })
 */
export function resolveViewerOptions(options: ViewerOptions = {}, env = process.env): ResolvedViewerOptions {
  const port = readInteger('port', options.port, env.SIGHTLINE_VIEWER_PORT, DEFAULT_VIEWER_PORT, { max: 65535 })
  const host = options.host ?? (env.SIGHTLINE_VIEWER_HOST || DEFAULT_VIEWER_HOST)
  if (typeof host !== 'string' || host === '') throw new SightlineOptionError('host', 'a host name or address', host)
  const token = options.token ?? (env.SIGHTLINE_VIEWER_TOKEN || undefined)
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH)) {
    throw new SightlineOptionError('token', `a string of at least ${MIN_TOKEN_LENGTH} characters`, token)
  }
  if (token === undefined && !isLoopback(host)) {
    throw new SightlineOptionError(
      'token',
      `set (SIGHTLINE_VIEWER_TOKEN) when the viewer binds beyond loopback (host ${host})`,
      token,
    )
  }
  const limits: StoreLimits = { ...DEFAULT_LIMITS }
  const fromEnv: [keyof StoreLimits, string | undefined][] = [
    ['maxTraces', env.SIGHTLINE_VIEWER_MAX_TRACES],
    ['maxLogs', env.SIGHTLINE_VIEWER_MAX_LOGS],
    ['maxMetricPoints', env.SIGHTLINE_VIEWER_MAX_METRIC_POINTS],
    ['maxMetricSeries', env.SIGHTLINE_VIEWER_MAX_METRIC_SERIES],
    ['maxBytes', env.SIGHTLINE_VIEWER_MAX_BYTES],
  ]
  for (const [name, value] of fromEnv)
    limits[name] = readInteger(`limits.${name}`, undefined, value, limits[name], { min: 1 })
  for (const [name, value] of Object.entries(options.limits ?? {}) as [keyof StoreLimits, unknown][]) {
    limits[name] = readInteger(`limits.${name}`, value, undefined, limits[name], { min: 1 })
  }
  const sloFile = readString('slo', options.slo, env.SIGHTLINE_VIEWER_SLO ?? '')
  const objectives = sloFile === '' ? [] : [loadObjectives(sloFile)]
  const scrapeText = options.scrape ?? (env.SIGHTLINE_VIEWER_SCRAPE || undefined)
  let scrape: URL | undefined
  if (scrapeText !== undefined) {
    try {
      scrape = new URL(scrapeText)
    } catch {
      scrape = undefined
    }
    if (scrape === undefined || (scrape.protocol !== 'http:' && scrape.protocol !== 'https:')) {
      throw new SightlineOptionError('scrape', 'an http or https URL of a Prometheus endpoint', scrapeText)
    }
  }
  const scrapeIntervalMs = readInteger(
    'scrapeIntervalMs',
    options.scrapeIntervalMs,
    env.SIGHTLINE_VIEWER_SCRAPE_INTERVAL_MS,
    DEFAULT_SCRAPE_INTERVAL_MS,
    { min: 1000, max: 3_600_000 },
  )
  const grpcEnv = env.SIGHTLINE_VIEWER_GRPC_PORT === 'off' ? '-1' : env.SIGHTLINE_VIEWER_GRPC_PORT
  const grpc = readInteger('grpcPort', options.grpcPort, grpcEnv, -1, { min: -1, max: 65535 })
  return {
    port,
    host,
    token,
    limits,
    objectives,
    scrape,
    scrapeIntervalMs,
    grpcPort: grpc < 0 ? undefined : grpc,
  }
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
