/**
 * @module viewer/limits
 * Every bound the viewer keeps, in one place: counts (traces, logs, metric points, services, routes),
 * sizes (attributes and events per span, key and value lengths) and the store's byte budget. Each is
 * what keeps memory flat whatever an app sends; they are validated once, when the store is built.
 */

export interface StoreLimits {
  /** Traces kept; the oldest is evicted past it. Default 10,000. */
  maxTraces: number
  /** Spans kept per trace; later ones are counted and dropped. Default 1,000. */
  maxSpansPerTrace: number
  /** Log records kept. Default 10,000. */
  maxLogs: number
  /** Metric points kept. Default 10,000. */
  maxMetricPoints: number
  /**
   * Metric series (service, name and attribute set) with points kept; points of further series
   * are counted and dropped until the oldest points of a series leave. Default 2,000.
   */
  maxMetricSeries: number
  /**
   * Estimated bytes the kept spans, log records and metric points may hold; past it the oldest is
   * evicted. Default 256 MiB.
   */
  maxBytes: number
  /** Attributes kept per span, event, log record or metric point; more are counted and dropped. Default 128. */
  maxAttributes: number
  /** Events kept per span; more are counted and dropped. Default 128. */
  maxEvents: number
  /** Characters of an attribute key; longer keys are cut. Default 256. */
  maxKeyLength: number
  /** Characters of a value (attribute, nested array or map as JSON text, log body, name); then cut. Default 8,192. */
  maxValueLength: number
  /** Service/route pairs with golden signals, over all services. Default 500. */
  maxRoutes: number
  /** Routes with golden signals per service; more share `(other routes)`. Default 100. */
  maxRoutesPerService: number
  /** Services with golden signals; the least recently seen is evicted past it. Default 100. */
  maxServices: number
}

export const DEFAULT_LIMITS: Readonly<StoreLimits> = Object.freeze({
  maxTraces: 10_000,
  maxSpansPerTrace: 1_000,
  maxLogs: 10_000,
  maxMetricPoints: 10_000,
  maxMetricSeries: 2_000,
  maxBytes: 256 * 1024 * 1024,
  maxAttributes: 128,
  maxEvents: 128,
  maxKeyLength: 256,
  maxValueLength: 8192,
  maxRoutes: 500,
  maxRoutesPerService: 100,
  maxServices: 100,
})

/** The name of the first limit that is not a positive integer, or `undefined` when all are. */
export function invalidLimit(limits: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return name
  }
  return undefined
}
