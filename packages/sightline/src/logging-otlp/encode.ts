/**
 * @module logging-otlp/encode
 * Turns Sightline's JSON log lines (pino's, and the access log's hand-built ones) into an OTLP/JSON
 * `ExportLogsServiceRequest`: `msg` becomes the body, `level` the severity, `trace_id`/`span_id` the
 * record's trace context (so a viewer or backend links the line to its span), the rest attributes.
 */
import { ATTR_SERVICE_NAME } from '../core/semconv.js'

/** OTLP severity numbers of pino's levels (the first number of each OTLP range). */
const SEVERITY: Record<string, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 }
const PINO_NUMERIC: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}
/** Fields that become the record's own fields rather than attributes. */
const OWN_FIELDS = new Set(['level', 'time', 'msg', 'service', 'trace_id', 'span_id', 'trace_flags'])
const HEX_TRACE_ID = /^[0-9a-f]{32}$/
const HEX_SPAN_ID = /^[0-9a-f]{16}$/

type AnyValue = { stringValue: string } | { intValue: number } | { doubleValue: number } | { boolValue: boolean }

interface OtlpLogRecord {
  timeUnixNano: string
  observedTimeUnixNano: string
  severityNumber: number
  severityText: string
  body: { stringValue: string }
  attributes: { key: string; value: AnyValue }[]
  traceId?: string
  spanId?: string
  flags?: number
}

/**
 * Encodes JSON log lines; lines that do not parse are skipped (and counted in `skipped`).
 * @example encodeLogLines(['{"level":"info","time":1,"msg":"hi"}'], 'api').body.resourceLogs.length // 1
 */
export function encodeLogLines(
  lines: readonly string[],
  fallbackService: string,
): { body: { resourceLogs: unknown[] }; records: number; skipped: number } {
  const byService = new Map<string, OtlpLogRecord[]>()
  const now = `${Date.now()}000000`
  let skipped = 0
  let records = 0
  for (const line of lines) {
    let entry: Record<string, unknown>
    try {
      entry = JSON.parse(line) as Record<string, unknown>
    } catch {
      skipped++
      continue
    }
    if (entry === null || typeof entry !== 'object') {
      skipped++
      continue
    }
    const level =
      typeof entry.level === 'number' ? (PINO_NUMERIC[entry.level] ?? 'info') : String(entry.level ?? 'info')
    const time = typeof entry.time === 'number' ? `${Math.round(entry.time)}000000` : now
    const record: OtlpLogRecord = {
      timeUnixNano: time,
      observedTimeUnixNano: now,
      severityNumber: SEVERITY[level] ?? 9,
      severityText: level.toUpperCase(),
      body: { stringValue: typeof entry.msg === 'string' ? entry.msg : '' },
      attributes: [],
    }
    if (typeof entry.trace_id === 'string' && HEX_TRACE_ID.test(entry.trace_id)) record.traceId = entry.trace_id
    if (typeof entry.span_id === 'string' && HEX_SPAN_ID.test(entry.span_id)) record.spanId = entry.span_id
    if (typeof entry.trace_flags === 'string') record.flags = Number.parseInt(entry.trace_flags, 16) || 0
    for (const key in entry) {
      if (OWN_FIELDS.has(key)) continue
      const value = anyValue(entry[key])
      if (value !== undefined) record.attributes.push({ key, value })
    }
    const service = typeof entry.service === 'string' && entry.service !== '' ? entry.service : fallbackService
    const list = byService.get(service)
    if (list === undefined) byService.set(service, [record])
    else list.push(record)
    records++
  }
  const resourceLogs = [...byService].map(([service, logRecords]) => ({
    resource: { attributes: [{ key: ATTR_SERVICE_NAME, value: { stringValue: service } }] },
    scopeLogs: [{ scope: { name: 'sightline' }, logRecords }],
  }))
  return { body: { resourceLogs }, records, skipped }
}

function anyValue(value: unknown): AnyValue | undefined {
  if (typeof value === 'string') return { stringValue: value }
  if (typeof value === 'boolean') return { boolValue: value }
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value }
  if (value === null || value === undefined) return undefined
  return { stringValue: JSON.stringify(value) }
}
