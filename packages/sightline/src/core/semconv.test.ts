/**
 * @module core/semconv.test
 * Every semantic-convention name Sightline emits is the package's, and every Prometheus metric
 * name is the OpenTelemetry name rendered the Prometheus way (dots to underscores, the unit as a
 * suffix, `_total` for counters), as the OpenTelemetry-to-Prometheus compatibility spec says.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as stable from '@opentelemetry/semantic-conventions'
import * as incubating from '@opentelemetry/semantic-conventions/incubating'
import {
  METRIC_MESSAGING_CONSUMED,
  METRIC_MESSAGING_DURATION,
  METRIC_MESSAGING_PROCESS_DURATION,
  METRIC_MESSAGING_SENT,
} from '../instrumentations/messaging/metrics.js'
import { METRIC_POOL_COUNT, METRIC_POOL_MAX, METRIC_POOL_PENDING } from '../instrumentations/pg/pool.js'
import { METRIC_DB_DURATION } from '../instrumentations/pg/query.js'
import {
  LABEL_HTTP_METHOD,
  LABEL_HTTP_ROUTE,
  LABEL_HTTP_STATUS,
  METRIC_HTTP_CLIENT_DURATION,
  METRIC_HTTP_SERVER_ACTIVE,
  METRIC_HTTP_SERVER_DURATION,
} from './constants.js'
import * as ours from './semconv.js'

const conventions = { ...incubating, ...stable } as Record<string, unknown>

test('every name in core/semconv is the semantic-conventions package value of the same name', () => {
  const entries = Object.entries(ours)
  assert.ok(entries.length > 30)
  for (const [name, value] of entries) assert.equal(value, conventions[name], name)
})

test('the Prometheus names are the conventions rendered the Prometheus way', () => {
  const prometheus = (name: string, unit = '') => name.replace(/\./g, '_') + unit
  assert.equal(METRIC_HTTP_SERVER_DURATION, prometheus(ours.METRIC_HTTP_SERVER_REQUEST_DURATION, '_seconds'))
  assert.equal(METRIC_HTTP_SERVER_ACTIVE, prometheus(ours.METRIC_HTTP_SERVER_ACTIVE_REQUESTS))
  assert.equal(METRIC_HTTP_CLIENT_DURATION, prometheus(ours.METRIC_HTTP_CLIENT_REQUEST_DURATION, '_seconds'))
  assert.equal(METRIC_DB_DURATION, prometheus(ours.METRIC_DB_CLIENT_OPERATION_DURATION, '_seconds'))
  assert.equal(METRIC_POOL_COUNT, prometheus(ours.METRIC_DB_CLIENT_CONNECTION_COUNT))
  assert.equal(METRIC_POOL_MAX, prometheus(ours.METRIC_DB_CLIENT_CONNECTION_MAX))
  assert.equal(METRIC_POOL_PENDING, prometheus(ours.METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS))
  assert.equal(METRIC_MESSAGING_DURATION, prometheus(ours.METRIC_MESSAGING_CLIENT_OPERATION_DURATION, '_seconds'))
  assert.equal(METRIC_MESSAGING_SENT, prometheus(ours.METRIC_MESSAGING_CLIENT_SENT_MESSAGES, '_total'))
  assert.equal(METRIC_MESSAGING_CONSUMED, prometheus(ours.METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES, '_total'))
  assert.equal(METRIC_MESSAGING_PROCESS_DURATION, prometheus(ours.METRIC_MESSAGING_PROCESS_DURATION, '_seconds'))
  assert.equal(LABEL_HTTP_METHOD, prometheus(ours.ATTR_HTTP_REQUEST_METHOD))
  assert.equal(LABEL_HTTP_ROUTE, prometheus(ours.ATTR_HTTP_ROUTE))
  assert.equal(LABEL_HTTP_STATUS, prometheus(ours.ATTR_HTTP_RESPONSE_STATUS_CODE))
})
