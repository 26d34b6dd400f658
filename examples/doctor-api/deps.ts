/**
 * @module doctor-api/deps
 * What the routes need, built once in `buildApp`.
 */
import type { Logger } from 'pino'
import type { Sightline } from 'sightline'
import type { NotificationQueue } from './appointments/notification-queue.js'
import type { DemoFaults } from './config.js'
import type { Repository } from './storage/repository.js'
import type { AppMetrics } from './telemetry.js'

export interface Deps {
  sightline: Sightline
  logger: Logger
  repository: Repository
  metrics: AppMetrics
  demo: DemoFaults
  /** Base URL of the notifier service; notifications are skipped when unset. */
  notifierUrl: string | undefined
  /** RabbitMQ's notification queue (AMQP_URL); when set, used instead of the notifier's URL. */
  notifications: NotificationQueue | undefined
}
