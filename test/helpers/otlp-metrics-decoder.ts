/**
 * @module test/helpers/otlp-metrics-decoder
 * Decodes an OTLP/protobuf `ExportMetricsServiceRequest` with protobufjs and the messages of
 * opentelemetry-proto (opentelemetry/proto/{collector/metrics,metrics,common,resource}/v1/*.proto),
 * written out below with the proto's own field numbers and types: the check on Sightline's
 * hand-written encoder is a real protobuf decoder reading the real schema, not its own reader.
 */
import { createServer, type Server } from 'node:http'
import protobuf from 'protobufjs'
import { close, listen } from './server.js'

const PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
    Summary summary = 11;
  }
  repeated KeyValue metadata = 12;
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; AggregationTemporality aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; AggregationTemporality aggregation_temporality = 2; }
message ExponentialHistogram { AggregationTemporality aggregation_temporality = 2; }
message Summary { }
enum AggregationTemporality {
  AGGREGATION_TEMPORALITY_UNSPECIFIED = 0;
  AGGREGATION_TEMPORALITY_DELTA = 1;
  AGGREGATION_TEMPORALITY_CUMULATIVE = 2;
}
message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  repeated Exemplar exemplars = 5;
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  repeated Exemplar exemplars = 8;
  uint32 flags = 10;
  optional double min = 11;
  optional double max = 12;
}
message Exemplar {
  repeated KeyValue filtered_attributes = 7;
  fixed64 time_unix_nano = 2;
  oneof value { double as_double = 3; sfixed64 as_int = 6; }
  bytes span_id = 4;
  bytes trace_id = 5;
}
`

const root = protobuf.parse(PROTO, { keepCase: false }).root
const RequestType = root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest')

export type Attributes = Record<string, string | number | boolean | unknown[]>

export interface DecodedExemplar {
  traceId: string
  spanId: string
  value: number
  timeMs: number
}

export interface DecodedPoint {
  attributes: Attributes
  startNanos: bigint
  timeNanos: bigint
  value?: number
  count?: number
  sum?: number
  bucketCounts?: number[]
  bounds?: number[]
  exemplars: DecodedExemplar[]
}

export interface DecodedMetric {
  name: string
  description: string
  unit: string
  kind: 'gauge' | 'sum' | 'histogram' | 'other'
  /** 1 delta, 2 cumulative (sums and histograms). */
  temporality?: number
  monotonic?: boolean
  points: DecodedPoint[]
}

export interface DecodedRequest {
  resource: Attributes
  scope: { name: string; version: string }
  metrics: DecodedMetric[]
}

// biome-ignore lint/suspicious/noExplicitAny: protobufjs decodes to untyped objects, read here field by field
type Json = Record<string, any>

function anyValue(value: Json | undefined): string | number | boolean | unknown[] {
  if (value === undefined || value === null) return ''
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue)
  return ''
}

function attributes(list: Json[] | undefined): Attributes {
  const out: Attributes = {}
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value)
  return out
}

const nanos = (value: unknown): bigint => BigInt(String(value ?? 0))

function point(p: Json, histogram: boolean): DecodedPoint {
  const out: DecodedPoint = {
    attributes: attributes(histogram ? p.attributes : p.attributes),
    startNanos: nanos(p.startTimeUnixNano),
    timeNanos: nanos(p.timeUnixNano),
    exemplars: (p.exemplars ?? []).map((e: Json) => ({
      traceId: Buffer.from(e.traceId ?? []).toString('hex'),
      spanId: Buffer.from(e.spanId ?? []).toString('hex'),
      value: e.asDouble ?? Number(e.asInt ?? 0),
      timeMs: Number(nanos(e.timeUnixNano) / 1_000_000n),
    })),
  }
  if (histogram) {
    out.count = Number(p.count ?? 0)
    out.sum = p.sum ?? 0
    out.bucketCounts = (p.bucketCounts ?? []).map((c: unknown) => Number(c))
    out.bounds = p.explicitBounds ?? []
  } else out.value = p.asDouble ?? Number(p.asInt ?? 0)
  return out
}

/** Decodes one request body (protobuf), every metric of every scope of the first resource. */
export function decodeMetricsRequest(bytes: Uint8Array): DecodedRequest {
  const message = RequestType.toObject(RequestType.decode(bytes), { longs: String, defaults: false }) as Json
  const resourceMetrics = (message.resourceMetrics ?? [])[0] ?? {}
  const scopeMetrics = (resourceMetrics.scopeMetrics ?? [])[0] ?? {}
  const metrics: DecodedMetric[] = (scopeMetrics.metrics ?? []).map((m: Json) => {
    const head = { name: m.name, description: m.description ?? '', unit: m.unit ?? '' }
    if (m.sum !== undefined)
      return {
        ...head,
        kind: 'sum',
        temporality: temporalityOf(m.sum.aggregationTemporality),
        monotonic: m.sum.isMonotonic === true,
        points: (m.sum.dataPoints ?? []).map((p: Json) => point(p, false)),
      }
    if (m.gauge !== undefined)
      return { ...head, kind: 'gauge', points: (m.gauge.dataPoints ?? []).map((p: Json) => point(p, false)) }
    if (m.histogram !== undefined)
      return {
        ...head,
        kind: 'histogram',
        temporality: temporalityOf(m.histogram.aggregationTemporality),
        points: (m.histogram.dataPoints ?? []).map((p: Json) => point(p, true)),
      }
    return { ...head, kind: 'other', points: [] }
  })
  return {
    resource: attributes(resourceMetrics.resource?.attributes),
    scope: { name: scopeMetrics.scope?.name ?? '', version: scopeMetrics.scope?.version ?? '' },
    metrics,
  }
}

function temporalityOf(value: unknown): number {
  if (typeof value === 'number') return value
  return value === 'AGGREGATION_TEMPORALITY_DELTA' ? 1 : value === 'AGGREGATION_TEMPORALITY_CUMULATIVE' ? 2 : 0
}

/**
 * An OTLP/HTTP metrics endpoint keeping every request it decoded; `status` decides the answer
 * (503 to play an outage).
 */
export class OtlpMetricsReceiver {
  readonly requests: DecodedRequest[] = []
  readonly contentTypes = new Set<string>()
  readonly paths = new Set<string>()
  /** Each request's headers, in arrival order (refused ones included). */
  readonly headers: import('node:http').IncomingHttpHeaders[] = []
  /** Requests answered with a failure, decoded all the same (what the sender lost). */
  readonly refused: DecodedRequest[] = []
  status = 200
  /** Holds each answer this long (a slow collector). */
  delayMs = 0
  private server: Server | undefined
  private waiters: Array<() => void> = []
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        // The general OTLP endpoint also gets traces and logs: only metrics are kept.
        if (req.url === '/v1/traces' || req.url === '/v1/logs') {
          res.end()
          return
        }
        const decoded = decodeMetricsRequest(Buffer.concat(chunks))
        this.contentTypes.add(String(req.headers['content-type']))
        this.paths.add(String(req.url))
        this.headers.push(req.headers)
        const status = this.status
        const answer = () => {
          if (status >= 300) {
            this.refused.push(decoded)
            res.statusCode = status
            res.end()
            return
          }
          this.requests.push(decoded)
          res.setHeader('content-type', 'application/x-protobuf')
          res.end()
          const waiters = this.waiters
          this.waiters = []
          for (const resolve of waiters) resolve()
        }
        if (this.delayMs > 0) setTimeout(answer, this.delayMs)
        else answer()
      })
    })
    this.url = await listen(this.server)
    return this
  }

  /** Resolves once `count` requests have been decoded in all (rejects after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.requests.length} of ${count} metric exports arrived`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }

  async close(): Promise<void> {
    if (this.server !== undefined) await close(this.server)
  }
}

/** How many data points a decoded request holds. */
export function pointsIn(request: DecodedRequest): number {
  return request.metrics.reduce((n, m) => n + m.points.length, 0)
}

/** The metric named `name` in a decoded request. */
export function metricNamed(request: DecodedRequest, name: string): DecodedMetric | undefined {
  return request.metrics.find((m) => m.name === name)
}
