/**
 * @module doctor-api/telemetry
 * The brief's custom metrics, created once at start (get-or-create, so tests can build many apps).
 */
import type { Sightline } from 'sightline'

/** Signup sources the label may take; anything else is `other`, so the label stays bounded. */
export const SIGNUP_SOURCES = ['web', 'ios', 'android', 'referral', 'partner'] as const
export const PAYMENT_BUCKETS = [0.1, 0.5, 1, 2, 5]

export function createMetrics(sightline: Sightline) {
  const signups = sightline.metrics.counter({
    name: 'app_user_signups_total',
    help: 'User signups, by source.',
    labelNames: ['source'],
  })
  // Pre-create every series so dashboards show 0 rather than nothing.
  const bySource = new Map([...SIGNUP_SOURCES, 'other'].map((source) => [source, signups.labels(source)]))
  return {
    signup(source: string | undefined): string {
      const label = source !== undefined && bySource.has(source) ? source : 'other'
      bySource.get(label)?.inc()
      return label
    },
    payment: sightline.metrics.histogram({
      name: 'app_payment_duration_seconds',
      help: 'Time spent processing payments with the provider, in seconds.',
      buckets: PAYMENT_BUCKETS,
    }),
    activeConnections: sightline.metrics.gauge({
      name: 'app_active_connections',
      help: 'Open live-stream (Server-Sent Events) connections.',
    }),
  }
}

export type AppMetrics = ReturnType<typeof createMetrics>
