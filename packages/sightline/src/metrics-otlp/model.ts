/**
 * @module metrics-otlp/model
 * One export's data, as the encoder takes it: plain values read from the registry at collection
 * (metrics-otlp/points), times in Unix milliseconds.
 */

export type OtlpAttributeValue = string | number | boolean | readonly (string | number | boolean)[]

/** A key and its value; an integer number is an `int_value`, any other number a `double_value`. */
export interface OtlpAttribute {
  key: string
  value: OtlpAttributeValue
}

/** `AggregationTemporality` of the OTLP metrics proto. */
export const TEMPORALITY_DELTA = 1
export const TEMPORALITY_CUMULATIVE = 2
export type TemporalityCode = typeof TEMPORALITY_DELTA | typeof TEMPORALITY_CUMULATIVE

export interface NumberPoint {
  attributes: readonly OtlpAttribute[]
  startMs: number
  timeMs: number
  value: number
}

export interface ExemplarPoint {
  /** Hex, 32 characters. */
  traceId: string
  /** Hex, 16 characters, when known. */
  spanId: string | undefined
  value: number
  timeMs: number
}

export interface HistogramPoint {
  attributes: readonly OtlpAttribute[]
  startMs: number
  timeMs: number
  count: number
  sum: number
  /** Per bucket (not cumulative), one more than `bounds`. */
  bucketCounts: ArrayLike<number>
  bounds: readonly number[]
  exemplars: readonly ExemplarPoint[]
}

interface MetricHead {
  name: string
  description: string
  unit: string
}

export type ExportMetric =
  | (MetricHead & { kind: 'gauge'; points: NumberPoint[] })
  | (MetricHead & { kind: 'sum'; temporality: TemporalityCode; points: NumberPoint[] })
  | (MetricHead & { kind: 'histogram'; temporality: TemporalityCode; points: HistogramPoint[] })

export interface ExportScope {
  name: string
  version: string
}
