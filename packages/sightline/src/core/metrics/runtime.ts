/**
 * @module runtime
 * Node runtime metrics, read at scrape time so the request path pays nothing: event-loop delay and
 * utilisation, V8 heap by space, GC pauses, CPU, memory, start time. Names follow the OpenTelemetry
 * runtime conventions (`nodejs.*`, `v8js.*`) and Prometheus' standard `process_*` names.
 */
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'
import type { Registry } from './registry.js'

export const METRIC_EVENTLOOP_DELAY_PREFIX = 'nodejs_eventloop_delay_'
export const METRIC_EVENTLOOP_UTILIZATION = 'nodejs_eventloop_utilization_ratio'
export const METRIC_HEAP_USED = 'v8js_memory_heap_used_bytes'
export const METRIC_HEAP_LIMIT = 'v8js_memory_heap_limit_bytes'
export const METRIC_GC_DURATION = 'v8js_gc_duration_seconds'
export const METRIC_CPU = 'process_cpu_seconds_total'
export const METRIC_CPU_USER = 'process_cpu_user_seconds_total'
export const METRIC_CPU_SYSTEM = 'process_cpu_system_seconds_total'
export const METRIC_RSS = 'process_resident_memory_bytes'
export const METRIC_START_TIME = 'process_start_time_seconds'
export const METRIC_EXTERNAL = 'nodejs_memory_external_bytes'
export const METRIC_VERSION = 'nodejs_version_info'

/** `PerformanceEntry.detail.kind` values, named as the OpenTelemetry convention names them. */
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' }
const NS_PER_SECOND = 1e9

export interface RuntimeMetrics {
  stop(): void
}

export function startRuntimeMetrics(registry: Registry): RuntimeMetrics {
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  let lastUtilization = performance.eventLoopUtilization()

  const delayGauges = (['min', 'max', 'mean', 'p50', 'p90', 'p99'] as const).map((stat) => ({
    stat,
    gauge: registry.gauge({
      name: `${METRIC_EVENTLOOP_DELAY_PREFIX}${stat}_seconds`,
      help: `Event loop delay since the previous scrape, ${stat}, in seconds.`,
      // Summed over processes, a delay means nothing: the worst one does.
      aggregate: stat === 'min' ? 'min' : 'max',
    }),
  }))
  registry.addCollector(() => {
    for (const { stat, gauge } of delayGauges) {
      const ns =
        stat === 'min' || stat === 'max' || stat === 'mean' ? delay[stat] : delay.percentile(Number(stat.slice(1)))
      gauge.set(Number.isFinite(ns) && delay.count > 0 ? ns / NS_PER_SECOND : 0)
    }
    delay.reset()
  })

  registry.gauge({
    name: METRIC_EVENTLOOP_UTILIZATION,
    help: 'Share of time the event loop was busy since the previous scrape (0 to 1).',
    aggregate: 'max',
    collect() {
      const now = performance.eventLoopUtilization()
      this.set(performance.eventLoopUtilization(now, lastUtilization).utilization)
      lastUtilization = now
    },
  })

  registry.gauge({
    name: METRIC_HEAP_USED,
    help: 'V8 heap memory in use, by heap space, in bytes.',
    labelNames: ['v8js_heap_space_name'],
    collect() {
      for (const space of getHeapSpaceStatistics())
        this.set({ v8js_heap_space_name: space.space_name }, space.space_used_size)
    },
  })
  registry.gauge({
    name: METRIC_HEAP_LIMIT,
    help: 'V8 heap memory reserved, by heap space, in bytes.',
    labelNames: ['v8js_heap_space_name'],
    collect() {
      for (const space of getHeapSpaceStatistics())
        this.set({ v8js_heap_space_name: space.space_name }, space.space_size)
    },
  })
  registry.gauge({
    name: METRIC_EXTERNAL,
    help: 'Memory held by C++ objects bound to JavaScript objects, in bytes.',
    collect() {
      this.set(process.memoryUsage().external)
    },
  })
  registry.gauge({
    name: METRIC_RSS,
    help: 'Resident set size of the process, in bytes.',
    collect() {
      this.set(process.memoryUsage.rss())
    },
  })

  const cpu = registry.counter({ name: METRIC_CPU, help: 'User and system CPU time spent, in seconds.' }).labels()
  const cpuUser = registry.counter({ name: METRIC_CPU_USER, help: 'User CPU time spent, in seconds.' }).labels()
  const cpuSystem = registry.counter({ name: METRIC_CPU_SYSTEM, help: 'System CPU time spent, in seconds.' }).labels()
  registry.addCollector(() => {
    const usage = process.cpuUsage()
    cpuUser.value = usage.user / 1e6
    cpuSystem.value = usage.system / 1e6
    cpu.value = (usage.user + usage.system) / 1e6
  })

  registry
    .gauge({
      name: METRIC_START_TIME,
      help: 'Start time of the process since the Unix epoch, in seconds.',
      aggregate: 'min',
    })
    .set(Math.round((performance.timeOrigin / 1000) * 1000) / 1000)
  registry
    .gauge({
      name: METRIC_VERSION,
      help: 'Node.js version, as a label; always 1.',
      labelNames: ['version'],
      aggregate: 'max',
    })
    .set({ version: process.version }, 1)

  const gc = registry.histogram({
    name: METRIC_GC_DURATION,
    help: 'Garbage collection pauses, by kind, in seconds.',
    labelNames: ['v8js_gc_type'],
    buckets: [0.001, 0.01, 0.1, 1, 10],
  })
  const gcSeries = new Map(Object.entries(GC_KINDS).map(([kind, name]) => [Number(kind), gc.labels(name)]))
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0
      gcSeries.get(kind)?.observe(entry.duration / 1000)
    }
  })
  observer.observe({ entryTypes: ['gc'] })

  return {
    stop() {
      delay.disable()
      observer.disconnect()
    },
  }
}
