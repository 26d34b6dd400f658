/**
 * @module messages
 * What Sightline's processes and threads say to each other about metrics: plain objects under one
 * key, so an application's own `message` handlers can tell them apart (`'sightline.metrics' in message`).
 */
import type { MessagePort } from 'node:worker_threads'
import type { WireSnapshot } from './delta.js'

export const TAG = 'sightline.metrics'

export type AggregationMessage =
  /** A worker whose Sightline reports its metrics (cluster: worker → primary). */
  | { [TAG]: 'hello' }
  /** The primary aggregates: the worker's app-port `/metrics` asks it (primary → worker). */
  | { [TAG]: 'welcome' }
  /** A scrape's question (primary → worker); `full`: no metric may be named as unchanged. */
  | { [TAG]: 'ask'; seq: number; full?: boolean }
  /** The answer, or a shutting-down worker's last word (`seq` FINAL_SEQ, always full). */
  | { [TAG]: 'snapshot'; seq: number; metrics: WireSnapshot }
  /** A worker's app-port `/metrics` wants the aggregated exposition (worker → primary). */
  | { [TAG]: 'render'; seq: number; openMetrics: boolean }
  /** The aggregated exposition, or why there is none (primary → worker). */
  | { [TAG]: 'text'; seq: number; body?: string; error?: string }
  /** A worker thread's dedicated port for the rest of the conversation (thread → main). */
  | { [TAG]: 'port'; port: MessagePort }

export function isAggregationMessage(message: unknown): message is AggregationMessage {
  return typeof message === 'object' && message !== null && TAG in message
}
