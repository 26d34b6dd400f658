/**
 * @module tracing/light-span
 * The spans Sightline builds itself (the pipeline's server span, the cache, Postgres and outgoing
 * HTTP client spans): recording spans that the SDK's processors and exporters take like their own
 * (API `Span` plus `ReadableSpan`), built without the SDK's `startSpan`. That path re-validates
 * attributes Sightline has just built, reads three clocks, consults the sampler and counts the span
 * in a metric nobody reads: ~2-3 µs a span, against a few hundred ns here. Spans the application
 * starts itself still come from the SDK; they see these as parents like any other.
 */

import { performance } from 'node:perf_hooks'
import {
  type Attributes,
  type AttributeValue,
  type Context,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, Span, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base'
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '../core/semconv.js'
import { sdkTracerParts } from '../internals/otel-sdk.js'
import { isAttributeValue, isTimeInput, sanitizeAttributes, timeInputToHrTime } from '../vendor/otel-sdk.js'
import { emptyArray, hrTimeBetween, hrTimeOf, pairOf, Status } from './span-values.js'

/** Where the spans of one provider go, and its limits: resolved once, when tracing is set up. */
export interface SpanSink {
  readonly processor: SpanProcessor
  readonly resource: Resource
  readonly limits: Required<SpanLimits>
}

const EXCEPTION_EVENT = 'exception'

/**
 * The SDK tracer's processor, resource and limits (the limits resolved from OTEL_SPAN_* variables),
 * so light spans go exactly where the SDK's spans go. `undefined` when the SDK no longer has these
 * fields: callers then keep using `startSpan`.
 */
export function sinkOfSdkTracer(tracer: unknown): SpanSink | undefined {
  const parts = sdkTracerParts(tracer)
  if (parts === undefined) return undefined
  const { processor, resource, limits } = parts
  return {
    processor,
    resource,
    limits: {
      attributeCountLimit: limits.attributeCountLimit ?? 128,
      attributeValueLengthLimit: limits.attributeValueLengthLimit ?? Number.POSITIVE_INFINITY,
      eventCountLimit: limits.eventCountLimit ?? 128,
      linkCountLimit: limits.linkCountLimit ?? 128,
      attributePerEventCountLimit: limits.attributePerEventCountLimit ?? 128,
      attributePerLinkCountLimit: limits.attributePerLinkCountLimit ?? 128,
    },
  }
}

const CLOCK_BASE_REFRESH_MS = 1000
let clockBase = 0
let clockBaseAt = Number.NEGATIVE_INFINITY

/**
 * Wall clock minus the performance clock, read again at most once a second: the two drift apart
 * over a long uptime (NTP), and reading both per span is what the SDK pays for.
 */
function clockBaseAround(performanceMillis: number): number {
  if (performanceMillis - clockBaseAt > CLOCK_BASE_REFRESH_MS || performanceMillis < clockBaseAt) {
    clockBase = Date.now() - performance.now()
    clockBaseAt = performanceMillis
  }
  return clockBase
}

/** What the SDK's spans hold before they end: an end time of zero and a duration of -1. */
const NOT_ENDED = Object.freeze(pairOf(0, 0)) as HrTime
const NO_DURATION = Object.freeze(pairOf(-1, -1)) as HrTime
const UNSET_STATUS: SpanStatus = Object.freeze(new Status(SpanStatusCode.UNSET))
const NO_EVENTS = Object.freeze(emptyArray<TimedEvent>()) as TimedEvent[]
const NO_LINKS = Object.freeze(emptyArray<Link>()) as Link[]

export class LightSpan implements Span, ReadableSpan {
  readonly startTime: HrTime
  // Built without literals, like everything a span keeps until export (tracing/span-values).
  // Until the span ends (and for most spans, the events and links for good) these are shared,
  // frozen values, replaced rather than changed: a span allocates only what it gets.
  endTime: HrTime = NOT_ENDED
  duration: HrTime = NO_DURATION
  ended = false
  status: SpanStatus = UNSET_STATUS
  events: TimedEvent[] = NO_EVENTS
  links: Link[] = NO_LINKS
  droppedAttributesCount = 0
  droppedEventsCount = 0
  droppedLinksCount = 0
  readonly resource: Resource
  private attributeCount: number
  /** Wall clock minus the performance clock, fixed for the span's life so its duration is exact. */
  private readonly clockBase: number

  /**
   * `attributes` must already be valid (Sightline builds them from the request); they are owned by
   * the span from here on.
   */
  constructor(
    private readonly shared: SpanSink,
    readonly instrumentationScope: InstrumentationScope,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    public name: string,
    readonly attributes: Attributes,
    attributeCount: number,
    readonly parentSpanContext: SpanContext | undefined,
    /** `performance.now()` at the start: the pipeline's reading for a server span. */
    startPerformance: number,
    parentContext: Context,
  ) {
    this.resource = shared.resource
    this.attributeCount = attributeCount
    this.clockBase = clockBaseAround(startPerformance)
    this.startTime = hrTimeOf(this.clockBase + startPerformance)
    shared.processor.onStart(this, parentContext)
  }

  spanContext(): SpanContext {
    return this.context
  }

  isRecording(): boolean {
    return !this.ended
  }

  /** For values Sightline itself produced: known valid, no validation needed. */
  setTrustedAttribute(key: string, value: AttributeValue): void {
    if (this.attributes[key] === undefined) {
      if (this.attributeCount >= this.shared.limits.attributeCountLimit) {
        this.droppedAttributesCount++
        return
      }
      this.attributeCount++
    }
    this.attributes[key] = this.truncate(value)
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value === undefined || value === null || this.ended) return this
    if (key.length === 0 || !isAttributeValue(value)) {
      diag.warn(`Invalid attribute ${key === '' ? 'key' : `value for ${key}`}`)
      return this
    }
    this.setTrustedAttribute(key, value)
    return this
  }

  setAttributes(attributes: Attributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key])
    return this
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this
    const limits = this.shared.limits
    if (limits.eventCountLimit === 0) {
      this.droppedEventsCount++
      return this
    }
    if (this.events === NO_EVENTS) this.events = emptyArray()
    if (this.events.length >= limits.eventCountLimit) {
      this.events.shift()
      this.droppedEventsCount++
    }
    let attributes: Attributes | undefined
    if (isTimeInput(attributesOrTime)) time ??= attributesOrTime
    else attributes = attributesOrTime
    const limited = this.limitAttributes(attributes, limits.attributePerEventCountLimit)
    this.events.push({
      name,
      attributes: limited.attributes,
      time: time === undefined ? this.now() : timeInputToHrTime(time),
      droppedAttributesCount: limited.dropped,
    })
    return this
  }

  addLink(link: Link): this {
    if (this.ended) return this
    const limits = this.shared.limits
    if (limits.linkCountLimit === 0) {
      this.droppedLinksCount++
      return this
    }
    if (this.links === NO_LINKS) this.links = emptyArray()
    if (this.links.length >= limits.linkCountLimit) {
      this.links.shift()
      this.droppedLinksCount++
    }
    const limited = this.limitAttributes(link.attributes, limits.attributePerLinkCountLimit)
    const kept: Link = { context: link.context }
    if (limited.count > 0) kept.attributes = limited.attributes
    if (limited.dropped > 0) kept.droppedAttributesCount = limited.dropped
    this.links.push(kept)
    return this
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link)
    return this
  }

  setStatus(status: SpanStatus): this {
    // An OK status is final; UNSET never overrides (the specification's rules, as the SDK has them).
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this
    this.status = new Status(
      status.code,
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? status.message : undefined,
    )
    return this
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name
    return this
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {}
    if (typeof exception === 'string') {
      attributes[ATTR_EXCEPTION_MESSAGE] = exception
    } else if (exception !== undefined && exception !== null) {
      const type = exception.code ?? exception.name
      if (type !== undefined && type !== '') attributes[ATTR_EXCEPTION_TYPE] = String(type)
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack
    }
    if (attributes[ATTR_EXCEPTION_TYPE] !== undefined || attributes[ATTR_EXCEPTION_MESSAGE] !== undefined) {
      this.addEvent(EXCEPTION_EVENT, attributes, time)
    }
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return
    this.finish(endTime === undefined ? this.now() : timeInputToHrTime(endTime))
  }

  /** Ends the span at a `performance.now()` reading the caller already has (the pipeline's). */
  endAt(performanceMillis: number): void {
    if (!this.ended) this.finish(hrTimeOf(this.clockBase + performanceMillis))
  }

  private finish(endTime: HrTime): void {
    this.endTime = endTime
    this.duration = hrTimeBetween(this.startTime, this.endTime)
    if (this.duration[0] < 0) {
      this.endTime = pairOf(this.startTime[0], this.startTime[1])
      this.duration = pairOf(0, 0)
    }
    const processor = this.shared.processor
    processor.onEnding?.(this)
    this.ended = true
    processor.onEnd(this)
  }

  private now(): HrTime {
    return hrTimeOf(this.clockBase + performance.now())
  }

  private truncate(value: AttributeValue): AttributeValue {
    const limit = this.shared.limits.attributeValueLengthLimit
    if (limit === Number.POSITIVE_INFINITY) return value
    if (typeof value === 'string') return value.length > limit ? value.slice(0, limit) : value
    if (Array.isArray(value)) {
      return value.map((item) => (typeof item === 'string' && item.length > limit ? item.slice(0, limit) : item)) as
        | string[]
        | number[]
        | boolean[]
    }
    return value
  }

  private limitAttributes(
    given: Attributes | undefined,
    limit: number,
  ): { attributes: Attributes; count: number; dropped: number } {
    const sanitized = sanitizeAttributes(given)
    const attributes: Attributes = {}
    let count = 0
    let dropped = 0
    for (const key of Object.keys(sanitized)) {
      if (count >= limit) {
        dropped++
        continue
      }
      attributes[key] = this.truncate(sanitized[key] as AttributeValue)
      count++
    }
    return { attributes, count, dropped }
  }
}
