/**
 * @module instrumentations/cache
 * Cache metrics and spans for anything with async `get`/`set`/`del` — a Redis-backed cache or an
 * in-memory one, behind the same interface: `cache_requests_total{cache_system, result}` for reads,
 * `cache_operation_duration_seconds{cache_system, cache_operation, error_type}` for every call, and a
 * circuit breaker (./breaker.ts) so a cache that stops answering costs a call microseconds, not its
 * timeout: `cache_circuit_open{cache_system}` is 1 while it fails fast.
 */
import { performance } from 'node:perf_hooks'
import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api'
import { getSightline } from '../../core/default.js'
import { ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME } from '../../core/semconv.js'
import type { Sightline } from '../../core/sightline.js'
import { activeContext } from '../../tracing/instance.js'
import { recordingActiveSpan, startClientSpan } from '../../tracing/recording.js'
import { plainConstructor } from '../../tracing/span-values.js'
import { Breaker, type BreakerOptions } from './breaker.js'

export const METRIC_CACHE_REQUESTS = 'cache_requests_total'
export const METRIC_CACHE_DURATION = 'cache_operation_duration_seconds'
export const METRIC_CACHE_CIRCUIT_OPEN = 'cache_circuit_open'
const OPERATIONS = ['get', 'set', 'del'] as const
const TRACER = 'sightline-cache'

/** A cache span's attributes, built without a literal (tracing/span-values says why). */
const CacheSpanAttributes = plainConstructor<new (system: string, operation: string) => Attributes>(function (
  this: Attributes,
  system: string,
  operation: string,
) {
  this[ATTR_DB_SYSTEM_NAME] = system
  this[ATTR_DB_OPERATION_NAME] = operation
})

export interface CacheLike {
  get(key: string): Promise<unknown>
  set(key: string, ...rest: never[]): Promise<unknown>
  del(key: string): Promise<unknown>
}

export interface CacheInstrumentationOptions {
  sightline?: Sightline
  /** `cache_system` label and `db.system.name` on spans, e.g. `redis` or `memory`. */
  system: string
  /**
   * The circuit breaker: after `failures` failures in a row (default 5) calls fail at once with
   * `SIGHTLINE_ERR_CIRCUIT_OPEN` for `openMs` (default 5000), then one call probes. `false` turns it off.
   */
  breaker?: BreakerOptions | false
}

/**
 * Wraps `get`, `set` and `del` in place and returns the same object.
 * @example const cache = instrumentCache(redisCache(redis, { prefix: 'app:' }), { sightline, system: 'redis' })
 */
export function instrumentCache<C extends CacheLike>(cache: C, options: CacheInstrumentationOptions): C {
  const sightline = options.sightline ?? getSightline()
  const system = options.system
  const requests = sightline.metrics.counter({
    name: METRIC_CACHE_REQUESTS,
    help: 'Cache reads, by result (hit or miss).',
    labelNames: ['cache_system', 'result'],
  })
  const hit = requests.labels({ cache_system: system, result: 'hit' })
  const miss = requests.labels({ cache_system: system, result: 'miss' })
  const duration = sightline.metrics.histogram({
    name: METRIC_CACHE_DURATION,
    help: 'Duration of cache operations, in seconds.',
    labelNames: ['cache_system', 'cache_operation', 'error_type'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  })
  const open = sightline.metrics
    .gauge({
      name: METRIC_CACHE_CIRCUIT_OPEN,
      help: "1 while the cache's circuit breaker is open (calls fail fast), else 0.",
      labelNames: ['cache_system'],
      aggregate: 'max',
    })
    .labels({ cache_system: system })
  open.set(0)
  const breaker =
    options.breaker === false
      ? undefined
      : new Breaker(system, options.breaker ?? {}, {
          opened: (fields) => {
            open.set(1)
            sightline.internal('warn', { cache_system: system, ...fields }, 'cache circuit open: calls fail fast')
          },
          closed: (fields) => {
            open.set(0)
            sightline.internal(
              'info',
              { cache_system: system, ...fields },
              'cache circuit closed: the cache answers again',
            )
          },
        })
  for (const operation of OPERATIONS) {
    const original = cache[operation].bind(cache) as (...args: unknown[]) => Promise<unknown>
    const ok = duration.labels({ cache_system: system, cache_operation: operation, error_type: '' })
    /** Records a failed operation; returns the error for the caller to rethrow. */
    const failed = (started: number, span: Span | undefined, error: unknown): unknown => {
      const errorType = (error as { code?: unknown })?.code
      const label =
        typeof errorType === 'string' && errorType.length <= 32
          ? errorType
          : error instanceof Error
            ? error.name
            : 'error'
      duration
        .labels({ cache_system: system, cache_operation: operation, error_type: label })
        .observe((performance.now() - started) / 1000)
      span?.setStatus({ code: SpanStatusCode.ERROR, message: label })
      span?.end()
      return error
    }
    // Not an async function: one `then` on the cache's own promise instead of two extra awaits.
    ;(cache as Record<string, unknown>)[operation] = (...args: unknown[]): Promise<unknown> => {
      const started = performance.now()
      const parent = recordingActiveSpan()
      const span =
        parent === undefined
          ? undefined
          : startClientSpan(
              TRACER,
              `${operation} ${system}`,
              new CacheSpanAttributes(system, operation),
              parent,
              activeContext(),
            )
      if (breaker !== undefined && !breaker.allow()) return Promise.reject(failed(started, span, breaker.error))
      let pending: Promise<unknown>
      try {
        pending = original(...args)
      } catch (error) {
        breaker?.failed(error)
        return Promise.reject(failed(started, span, error))
      }
      return pending.then(
        (result) => {
          breaker?.succeeded()
          ok.observe((performance.now() - started) / 1000)
          if (operation === 'get') (result === undefined || result === null ? miss : hit).inc()
          span?.end()
          return result
        },
        (error: unknown) => {
          breaker?.failed(error)
          throw failed(started, span, error)
        },
      )
    }
  }
  return cache
}

/**
 * A readiness check for Redis (or any client with `ping`).
 * @example sightline.addCheck('redis', redisCheck(redis), { timeoutMs: 300, critical: false })
 */
export function redisCheck(client: { ping(): Promise<unknown> }): () => Promise<void> {
  return async () => {
    await client.ping()
  }
}
