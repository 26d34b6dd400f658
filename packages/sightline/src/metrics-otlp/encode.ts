/**
 * @module metrics-otlp/encode
 * `ExportMetricsServiceRequest` in OTLP/protobuf, written with the shared proto writer: one
 * resource, one scope, counters as monotonic sums, gauges as gauges, histograms with their explicit
 * bounds, bucket counts, sum, count and exemplars. Field numbers are those of
 * opentelemetry/proto/metrics/v1/metrics.proto (checked by test/metrics-otlp/encode.test.ts,
 * which decodes the bytes with protobufjs and the proto's definitions).
 */
import { FIXED64, LENGTH_DELIMITED, ProtoWriter, VARINT } from '../core/otlp/proto-writer.js'
import type {
  ExemplarPoint,
  ExportMetric,
  ExportScope,
  HistogramPoint,
  NumberPoint,
  OtlpAttribute,
  OtlpAttributeValue,
} from './model.js'

const TWO_32 = 2 ** 32
const MIN_INT64 = -(2 ** 63)
const MAX_INT64 = 2 ** 63

/**
 * Encodes one request. The writer is reused from call to call; the bytes returned are a copy of
 * their own (to be transferred to the export worker).
 * @example const bytes = new MetricsEncoder().encode(resource, { name: 'sightline', version: '0.1.0' }, metrics)
 */
export class MetricsEncoder {
  private readonly w = new ProtoWriter(16 * 1024)

  encode(resource: readonly OtlpAttribute[], scope: ExportScope, metrics: readonly ExportMetric[]): Uint8Array {
    const w = this.w
    const resourceMetrics = w.beginMessage(1)
    const resourceAt = w.beginMessage(1)
    for (const attribute of resource) this.keyValue(1, attribute)
    w.endMessage(resourceAt)
    const scopeMetrics = w.beginMessage(2)
    const scopeAt = w.beginMessage(1)
    w.string(1, scope.name)
    if (scope.version !== '') w.string(2, scope.version)
    w.endMessage(scopeAt)
    for (const metric of metrics) this.metric(metric)
    w.endMessage(scopeMetrics)
    w.endMessage(resourceMetrics)
    return w.take()
  }

  private metric(metric: ExportMetric): void {
    const w = this.w
    const at = w.beginMessage(2)
    w.string(1, metric.name)
    if (metric.description !== '') w.string(2, metric.description)
    if (metric.unit !== '') w.string(3, metric.unit)
    if (metric.kind === 'gauge') {
      const data = w.beginMessage(5)
      for (const point of metric.points) this.numberPoint(point, false)
      w.endMessage(data)
    } else if (metric.kind === 'sum') {
      const data = w.beginMessage(7)
      for (const point of metric.points) this.numberPoint(point, true)
      w.tag(2, VARINT)
      w.varint(metric.temporality)
      w.tag(3, VARINT)
      w.varint(1) // is_monotonic: Sightline's counters only go up
      w.endMessage(data)
    } else {
      const data = w.beginMessage(9)
      for (const point of metric.points) this.histogramPoint(point)
      w.tag(2, VARINT)
      w.varint(metric.temporality)
      w.endMessage(data)
    }
    w.endMessage(at)
  }

  /** `NumberDataPoint`: attributes 7, start 2, time 3, as_double 4. A gauge's point has no start. */
  private numberPoint(point: NumberPoint, withStart: boolean): void {
    const w = this.w
    const at = w.beginMessage(1)
    for (const attribute of point.attributes) this.keyValue(7, attribute)
    if (withStart) {
      w.tag(2, FIXED64)
      w.millisAsNanos(point.startMs)
    }
    w.tag(3, FIXED64)
    w.millisAsNanos(point.timeMs)
    w.tag(4, FIXED64)
    w.double(point.value)
    w.endMessage(at)
  }

  /**
   * `HistogramDataPoint`: attributes 9, start 2, time 3, count 4, sum 5, bucket_counts 6 (packed
   * fixed64), explicit_bounds 7 (packed double), exemplars 8.
   */
  private histogramPoint(point: HistogramPoint): void {
    const w = this.w
    const at = w.beginMessage(1)
    for (const attribute of point.attributes) this.keyValue(9, attribute)
    w.tag(2, FIXED64)
    w.millisAsNanos(point.startMs)
    w.tag(3, FIXED64)
    w.millisAsNanos(point.timeMs)
    w.tag(4, FIXED64)
    this.uint64(point.count)
    w.tag(5, FIXED64)
    w.double(point.sum)
    const counts = point.bucketCounts
    w.tag(6, LENGTH_DELIMITED)
    w.varint(counts.length * 8)
    for (let i = 0; i < counts.length; i++) this.uint64(counts[i] as number)
    if (point.bounds.length > 0) {
      w.tag(7, LENGTH_DELIMITED)
      w.varint(point.bounds.length * 8)
      for (const bound of point.bounds) w.double(bound)
    }
    for (const exemplar of point.exemplars) this.exemplar(exemplar)
    w.endMessage(at)
  }

  /** `Exemplar`: time 2, as_double 3, span_id 4, trace_id 5. Ids that are not hex are left out. */
  private exemplar(exemplar: ExemplarPoint): void {
    const w = this.w
    const at = w.beginMessage(8)
    w.tag(2, FIXED64)
    w.millisAsNanos(exemplar.timeMs)
    w.tag(3, FIXED64)
    w.double(exemplar.value)
    const spanId = exemplar.spanId
    if (spanId !== undefined && spanId.length === 16) w.hexBytes(4, spanId, 0, 16)
    if (exemplar.traceId.length === 32) w.hexBytes(5, exemplar.traceId, 0, 32)
    w.endMessage(at)
  }

  /** A count as a fixed64 (exact up to 2^53). */
  private uint64(value: number): void {
    this.w.fixed64(value % TWO_32, Math.floor(value / TWO_32))
  }

  /** `KeyValue` { key 1, value 2 } under `field`. */
  private keyValue(field: number, attribute: OtlpAttribute): void {
    const w = this.w
    const at = w.beginMessage(field)
    w.string(1, attribute.key)
    this.anyValue(2, attribute.value)
    w.endMessage(at)
  }

  /** `AnyValue`: string 1, bool 2, int 3, double 4, array 5 (`ArrayValue` { values 1 }). */
  private anyValue(field: number, value: OtlpAttributeValue): void {
    const w = this.w
    const at = w.beginMessage(field)
    if (typeof value === 'string') w.string(1, value)
    else if (typeof value === 'boolean') {
      w.tag(2, VARINT)
      w.varint(value ? 1 : 0)
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, VARINT)
        w.int64(value)
      } else {
        w.tag(4, FIXED64)
        w.double(value)
      }
    } else {
      const array = w.beginMessage(5)
      for (const item of value) this.anyValue(1, item)
      w.endMessage(array)
    }
    w.endMessage(at)
  }
}
