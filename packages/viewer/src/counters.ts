/**
 * @module viewer/counters
 * What the viewer received and what its limits cut, dropped, rejected or evicted. One object per
 * store, written by the normaliser, the store and the golden signals, and read by `GET /api/stats`
 * and the once-a-minute report.
 */

/** What normalisation cut or refused, span by span: never the whole batch. */
export interface NormaliseCounters {
  /** Spans refused: no valid ids or start time, or a span message that does not decode. */
  spansRejected: number
  /** Spans whose end time was missing, invalid or before their start: kept with a zero duration. */
  spansClamped: number
  /** Log records or metric points that were not objects, or did not decode. */
  recordsRejected: number
  /** Attributes past the per-span (event, record, point) cap. */
  attributesDropped: number
  /** Events past the per-span cap. */
  eventsDropped: number
  /** Keys cut to the key length limit. */
  keysTruncated: number
  /** Values (strings, nested arrays and maps, log bodies, names) cut to the value length limit or nesting depth. */
  valuesTruncated: number
}

export interface StoreCounters extends NormaliseCounters {
  spans: number
  logs: number
  metricPoints: number
  /** Spans past the per-trace cap. */
  spansDropped: number
  tracesEvicted: number
  logsEvicted: number
  metricPointsEvicted: number
  /** Metric points of a new series refused because `maxMetricSeries` series were kept. */
  metricSeriesDropped: number
  /** Prometheus scrapes made with `--scrape`, and those that failed (unreachable, not 200, unreadable). */
  scrapes: number
  scrapeFailures: number
  /** Of the evictions above, those made to stay within the byte budget. */
  evictedForBytes: number
  /** Server spans dated past now plus the allowed clock skew: kept, but not counted in the golden signals. */
  futureSpans: number
  servicesEvicted: number
  routesEvicted: number
  /** OTLP requests refused with a 503 because too many bytes were waiting to be stored. */
  requestsRefused: number
  /** Error groups evicted (the least recently seen) past the group cap (viewer/errors). */
  errorGroupsEvicted: number
}

export function newNormaliseCounters(): NormaliseCounters {
  return {
    spansRejected: 0,
    spansClamped: 0,
    recordsRejected: 0,
    attributesDropped: 0,
    eventsDropped: 0,
    keysTruncated: 0,
    valuesTruncated: 0,
  }
}

export function newStoreCounters(): StoreCounters {
  return {
    spans: 0,
    logs: 0,
    metricPoints: 0,
    spansDropped: 0,
    tracesEvicted: 0,
    logsEvicted: 0,
    metricPointsEvicted: 0,
    metricSeriesDropped: 0,
    scrapes: 0,
    scrapeFailures: 0,
    evictedForBytes: 0,
    futureSpans: 0,
    servicesEvicted: 0,
    routesEvicted: 0,
    requestsRefused: 0,
    errorGroupsEvicted: 0,
    ...newNormaliseCounters(),
  }
}
