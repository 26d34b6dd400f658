/**
 * @module tracing/sampling-threshold
 * OpenTelemetry's probability sampling in the W3C tracestate (`ot=th:<hex>`): a root trace Sightline
 * samples at ratio p carries its rejection threshold T = (1 − p) · 2^56, so whoever receives its spans
 * (the viewer, a collector's span-metrics) counts each as 1/p requests; and its trace id's randomness
 * (the last 56 bits, the random flag being set) is at least T, as a consistent sampler at the same
 * threshold would have decided. See
 * https://opentelemetry.io/docs/specs/otel/trace/tracestate-probability-sampling/
 *
 * The pipeline decides a new trace with one Math.random before any id exists (an unsampled request
 * builds nothing), so a sampled trace's id gets its randomness drawn in [T, 2^56) here, uniform
 * there; over sampled and unsampled traces together the ids stay uniform. Ids made later for an
 * unsampled trace (an outgoing call) are not forced below T: a sampler downstream follows the
 * sampled flag, as the parent-based samplers do.
 */
import type { TraceState } from '@opentelemetry/api'
import { W3CTraceState } from './trace-state.js'

/** 2^56 and 2^28: the threshold's scale, and the half of it one double holds exactly. */
const SCALE = 2 ** 56
const HALF = 2 ** 28
const DIGITS = 14

/** The threshold's 14 hex digits of `value` (below 2^56), written as two exact 28-bit halves. */
function hex56(value: number): string {
  const high = Math.floor(value / HALF)
  const low = value - high * HALF
  return high.toString(16).padStart(7, '0') + low.toString(16).padStart(7, '0')
}

/** The threshold of a probability sampler at `ratio`; one per tracing set-up. */
export class SamplingThreshold {
  /** T, as a number (rounded to the double nearest: the 56 bits are a ratio's, not exact). */
  private readonly threshold: number
  /** `th:…`, the threshold's hex with its trailing zeros dropped, as the spec writes it. */
  readonly value: string
  /** The tracestate of a new root trace: `ot=th:…`. */
  readonly traceState: TraceState

  /** Only for 0 < ratio < 1: the other ratios sample everything or nothing, and weigh nothing. */
  constructor(ratio: number) {
    this.threshold = Math.min(SCALE - 1, Math.round((1 - ratio) * SCALE))
    const digits = hex56(this.threshold).replace(/0+$/, '')
    this.value = `th:${digits === '' ? '0' : digits}`
    this.traceState = new W3CTraceState('', []).set('ot', this.value)
  }

  /** `traceId` with its last 14 hex digits replaced by randomness drawn uniformly in [T, 2^56). */
  sampledTraceId(traceId: string): string {
    const randomness = this.threshold + Math.floor(Math.random() * (SCALE - this.threshold))
    return traceId.slice(0, 32 - DIGITS) + hex56(Math.min(SCALE - 1, randomness))
  }
}
