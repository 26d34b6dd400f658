/**
 * @module tracing/client-metrics
 * `http.client.request.duration` for outgoing fetch/undici and `node:http` calls, sampled or not,
 * rendered the Prometheus way: `http_client_request_duration_seconds{http_request_method,
 * server_address, server_port, http_response_status_code, error_type}`. Seen where propagation
 * sees the calls (tracing/propagation). Cardinality: the method is one of the known ones or
 * `_OTHER`, the status a number, the address and port the peer's — bounded by the services a
 * process calls, and past the registry's cap folded into its overflow series.
 */
import { performance } from 'node:perf_hooks'
import { HTTP_DURATION_BUCKETS, METRIC_HTTP_CLIENT_DURATION } from '../core/constants.js'
import type { Histogram, HistogramChild } from '../core/metrics/histogram.js'
import { OVERFLOW_LABELS } from '../core/metrics/metric.js'
import type { Registry } from '../core/metrics/registry.js'

/** Series kept per process at most; the registry's cap applies beyond. */
const MAX_CACHED = 1000

/** One outgoing call being timed. */
export class ClientCall {
  status = 0
  constructor(
    readonly metrics: HttpClientMetrics,
    readonly method: string,
    readonly address: string,
    readonly port: number,
    readonly start: number,
  ) {}

  /** Records the call's duration, with the error's type when it failed. */
  end(error?: unknown): void {
    // As the conventions have it for a client: a 4xx or 5xx answer is the call's error, by its status.
    const errorType = error === undefined ? (this.status >= 400 ? String(this.status) : '') : errorName(error)
    this.metrics.observe(this, errorType, (performance.now() - this.start) / 1000)
  }
}

export class HttpClientMetrics {
  private readonly duration: Histogram
  private readonly series = new Map<string, HistogramChild>()

  constructor(registry: Registry) {
    this.duration = registry.histogram({
      name: METRIC_HTTP_CLIENT_DURATION,
      help: 'Duration of outgoing HTTP requests, in seconds, until the response body is received.',
      labelNames: ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type'],
      buckets: HTTP_DURATION_BUCKETS,
    })
  }

  start(method: string, address: string, port: number): ClientCall {
    return new ClientCall(this, method, address, port, performance.now())
  }

  observe(call: ClientCall, errorType: string, seconds: number): void {
    const key = `${call.method} ${call.address}:${call.port} ${call.status} ${errorType}`
    let series = this.series.get(key)
    if (series === undefined) {
      series = this.duration.labels(call.method, call.address, call.port, call.status, errorType)
      if (series.labelString !== OVERFLOW_LABELS && this.series.size < MAX_CACHED) this.series.set(key, series)
    }
    series.observeOnly(seconds)
  }
}

function errorName(error: unknown): string {
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && code.length <= 32) return code
  return error instanceof Error ? error.name : 'error'
}
