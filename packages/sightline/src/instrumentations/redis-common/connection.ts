/**
 * @module instrumentations/redis-common/connection
 * A Redis client's connection state, whatever the client: `redis_client_ready` is 1 while the
 * client can send commands and 0 while it connects, reconnects or is closed (read from the client
 * at scrape time, so commands pay nothing for it), and `redis_client_reconnects_total` counts the
 * client's reconnection attempts (from its `reconnecting` event). A Redis client keeps one
 * connection and multiplexes every command over it, so pg's used/idle pool gauges do not apply.
 */
import type { Registry } from '../../core/metrics/registry.js'

export const METRIC_REDIS_READY = 'redis_client_ready'
export const METRIC_REDIS_RECONNECTS = 'redis_client_reconnects_total'

/** Reads one client's state at scrape time; `undefined` when it cannot be read. */
export type ReadyReader = () => boolean | undefined

/** Registers the client's series; returns what its `reconnecting` listener calls. */
export function connectionMetrics(metrics: Registry, clientName: string, isReady: ReadyReader): () => void {
  const labels = { client_name: clientName }
  const ready = metrics
    .gauge({
      name: METRIC_REDIS_READY,
      help: 'Whether the Redis client can send commands (1) or is connecting, reconnecting or closed (0).',
      labelNames: ['client_name'],
    })
    .labels(labels)
  const reconnects = metrics
    .counter({
      name: METRIC_REDIS_RECONNECTS,
      help: 'Reconnection attempts of the Redis client.',
      labelNames: ['client_name'],
    })
    .labels(labels)
  ready.set(isReady() === true ? 1 : 0)
  metrics.addCollector(() => {
    const state = isReady()
    if (state !== undefined) ready.set(state ? 1 : 0)
  })
  return () => reconnects.inc()
}
