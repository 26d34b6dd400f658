/**
 * @module http-metrics
 * RED metrics for the HTTP server: one duration histogram labelled by method, route template and
 * status, and an in-flight gauge. Series are resolved once per (route, method, status) and kept.
 */
import {
  HTTP_DURATION_BUCKETS,
  LABEL_HTTP_METHOD,
  LABEL_HTTP_ROUTE,
  LABEL_HTTP_STATUS,
  METRIC_HTTP_SERVER_ACTIVE,
  METRIC_HTTP_SERVER_DURATION,
} from '../constants.js'
import { METHOD_NAMES, type RouteState } from '../pipeline/routes.js'
import type { GaugeChild } from './gauge.js'
import type { Histogram } from './histogram.js'
import { OVERFLOW_LABELS } from './metric.js'
import type { Registry } from './registry.js'

export class HttpMetrics {
  private readonly duration: Histogram
  readonly active: GaugeChild

  constructor(registry: Registry, buckets: readonly number[] = HTTP_DURATION_BUCKETS) {
    this.duration = registry.histogram({
      name: METRIC_HTTP_SERVER_DURATION,
      help: 'Duration of HTTP server requests, in seconds.',
      labelNames: [LABEL_HTTP_METHOD, LABEL_HTTP_ROUTE, LABEL_HTTP_STATUS],
      buckets,
    })
    this.active = registry
      .gauge({ name: METRIC_HTTP_SERVER_ACTIVE, help: 'Number of HTTP server requests in flight.' })
      .labels()
  }

  /** Records one request; `traceId` (of a sampled request) becomes the bucket's exemplar. */
  observe(route: RouteState, method: number, status: number, seconds: number, traceId?: string, spanId?: string): void {
    const key = method * 1000 + status
    let series = route.series.get(key)
    if (series === undefined) {
      series = this.duration.labels(METHOD_NAMES[method] as string, route.template, status)
      // The overflow series (the cap reached) is not cached, so every refused observation is counted.
      if (series.labelString !== OVERFLOW_LABELS) route.series.set(key, series)
    }
    if (traceId === undefined) series.observeOnly(seconds)
    else series.observeWithExemplar(seconds, traceId, spanId)
  }
}
