/**
 * @module viewer/errors
 * Error groups: every error the viewer receives, grouped by fingerprint, with a count, first and
 * last seen, the route, a per-minute series and a few example traces and request ids.
 *
 * Where an error is seen: a span's `exception` event; a server span with an error status and no
 * such event (its `error.type`, the status code for a plain 5xx); a fatal log line (Sightline's
 * crash capture); an access line with a fingerprinted `err` (Sightline's line of a 5xx request,
 * which covers the requests sampling left without a span). The fingerprint is Sightline's
 * (`sightline.error.fingerprint`, `err.fingerprint`), else the error's type and top frame read
 * from its stack trace, so errors from any OpenTelemetry SDK group too. One error reported twice
 * (the span's event and the access or fatal line: same trace, span and fingerprint) is counted
 * once, whichever arrives first.
 *
 * Bounded: at most `MAX_GROUPS` groups (the least recently seen is evicted and counted), every
 * kept string cut to a fixed length, a fixed number of examples and series buckets per group,
 * and a fixed number of recent occurrence keys for the de-duplication.
 */
import { type Attributes, SPAN_KIND_SERVER, STATUS_ERROR, type ViewerLog, type ViewerSpan } from './model.js'

/** Groups kept; past it the least recently seen group is evicted. */
export const MAX_GROUPS = 1000
/** Example occurrences (trace, request id) kept per group, the newest. */
export const MAX_EXAMPLES = 5
/** One bucket a minute, for the last hour. */
export const BUCKET_MS = 60_000
export const BUCKETS = 60
/** Occurrence keys remembered to count an error reported by both a span and a log line once. */
const MAX_RECENT = 10_000
const MAX_TEXT = 512
const MAX_SHORT = 256
const MAX_STACK_SCAN = 16_384
const FATAL_SEVERITY = 21

const ATTR_FINGERPRINT = 'sightline.error.fingerprint'

export interface ErrorExample {
  traceId: string
  spanId: string
  requestId: string
  timeMs: number
}

/** One group as `/api/errors` returns it. */
export interface ErrorGroupSummary {
  fingerprint: string
  service: string
  type: string
  /** The newest occurrence's message (messages differ within a group: they are not its identity). */
  message: string
  /** The top application frame, `src/routes/payments.ts:42`, or '' when unknown. */
  frame: string
  route: string
  count: number
  firstSeenMs: number
  lastSeenMs: number
  /** Occurrences per minute over the last hour, oldest first, ending with the current minute. */
  series: number[]
  examples: ErrorExample[]
}

interface Group {
  fingerprint: string
  service: string
  type: string
  message: string
  frame: string
  route: string
  count: number
  firstSeenMs: number
  lastSeenMs: number
  buckets: number[]
  /** The minute of `buckets`' newest bucket. */
  lastMinute: number
  examples: ErrorExample[]
}

interface Occurrence {
  fingerprint: string
  service: string
  type: string
  message: string
  frame: string
  route: string
  timeMs: number
  traceId: string
  spanId: string
  requestId: string
}

/**
 * @example
 * const errors = new ErrorGroups(store.counters); errors.addSpan(span); errors.list({ service: 'api' })
 */
export class ErrorGroups {
  /** By service and fingerprint; insertion order is recency (a group seen again moves to the end). */
  private readonly groups = new Map<string, Group>()
  /** Occurrence key → the group and example it was counted in. */
  private readonly recent = new Map<string, { group: Group; example: ErrorExample }>()

  constructor(
    private readonly counters: { errorGroupsEvicted: number },
    private readonly maxGroups = MAX_GROUPS,
  ) {}

  get size(): number {
    return this.groups.size
  }

  addSpan(span: ViewerSpan): void {
    let exceptions = 0
    for (const event of span.events) {
      if (event.name !== 'exception') continue
      exceptions++
      const type = text(event.attributes['exception.type']) || 'Error'
      const stack = text(event.attributes['exception.stacktrace'])
      const frame = frameOf(event.attributes) || topFrame(stack)
      this.add({
        fingerprint: text(event.attributes[ATTR_FINGERPRINT]) || fallbackFingerprint(type, frame),
        service: span.service,
        type,
        message: text(event.attributes['exception.message']),
        frame,
        route: span.route,
        timeMs: event.timeMs,
        traceId: span.traceId,
        spanId: span.spanId,
        requestId: span.requestId,
      })
    }
    if (exceptions > 0 || span.statusCode !== STATUS_ERROR || span.kind !== SPAN_KIND_SERVER) return
    // A failed request with no exception recorded: grouped by its error type and route.
    const type = text(span.attributes['error.type']) || (span.httpStatus > 0 ? String(span.httpStatus) : 'error')
    this.add({
      fingerprint: fallbackFingerprint(type, span.route || span.name),
      service: span.service,
      type,
      message: span.statusMessage,
      frame: '',
      route: span.route,
      timeMs: span.startMs + span.durationMs,
      traceId: span.traceId,
      spanId: span.spanId,
      requestId: span.requestId,
    })
  }

  addLog(log: ViewerLog): void {
    const fatal = log.severityNumber >= FATAL_SEVERITY || log.level === 'fatal'
    const err = errFields(log.attributes.err)
    if (!fatal && err.fingerprint === '') return
    const type = err.type || text(log.attributes['exception.type']) || 'fatal'
    const frame = err.frame || topFrame(err.stack || text(log.attributes['exception.stacktrace']))
    this.add({
      fingerprint: err.fingerprint || fallbackFingerprint(type, frame || log.body),
      service: log.service,
      type,
      message: err.message || text(log.attributes['exception.message']) || log.body,
      frame,
      route: text(log.attributes.route),
      timeMs: log.timeMs,
      traceId: log.traceId,
      spanId: log.spanId,
      requestId: log.requestId,
    })
  }

  /** Newest last seen first. */
  list(query: { service?: string; limit?: number } = {}, nowMs = Date.now()): ErrorGroupSummary[] {
    const limit = Math.min(query.limit ?? 200, MAX_GROUPS)
    const out: ErrorGroupSummary[] = []
    for (const group of this.groups.values()) {
      if (query.service && group.service !== query.service) continue
      out.push(summaryOf(group, nowMs))
    }
    out.sort((a, b) => b.lastSeenMs - a.lastSeenMs)
    return out.slice(0, limit)
  }

  private add(occurrence: Occurrence): void {
    const key = occurrence.traceId === '' ? '' : `${occurrence.traceId}:${occurrence.spanId}:${occurrence.fingerprint}`
    const seen = key === '' ? undefined : this.recent.get(key)
    if (seen !== undefined && this.groups.get(groupKey(seen.group)) === seen.group) {
      // The same error from its other source: what it adds is a request id or a route, not a count.
      if (seen.example.requestId === '') seen.example.requestId = cut(occurrence.requestId, MAX_SHORT)
      if (seen.group.route === '' && occurrence.route !== '') seen.group.route = cut(occurrence.route, MAX_SHORT)
      if (seen.group.frame === '' && occurrence.frame !== '') seen.group.frame = cut(occurrence.frame, MAX_TEXT)
      return
    }
    const id = `${occurrence.service}\n${occurrence.fingerprint}`
    let group = this.groups.get(id)
    if (group === undefined) {
      group = {
        fingerprint: cut(occurrence.fingerprint, MAX_SHORT),
        service: cut(occurrence.service, MAX_SHORT),
        type: cut(occurrence.type, MAX_SHORT),
        message: '',
        frame: cut(occurrence.frame, MAX_TEXT),
        route: '',
        count: 0,
        firstSeenMs: occurrence.timeMs,
        lastSeenMs: occurrence.timeMs,
        buckets: new Array<number>(BUCKETS).fill(0),
        lastMinute: Math.floor(occurrence.timeMs / BUCKET_MS),
        examples: [],
      }
      this.groups.set(id, group)
      if (this.groups.size > this.maxGroups) this.evictOldest()
    } else {
      // Most recently seen last: the first group is the one to evict.
      this.groups.delete(id)
      this.groups.set(id, group)
    }
    group.count++
    group.firstSeenMs = Math.min(group.firstSeenMs, occurrence.timeMs)
    if (occurrence.timeMs >= group.lastSeenMs) {
      group.lastSeenMs = occurrence.timeMs
      if (occurrence.message !== '') group.message = cut(occurrence.message, MAX_TEXT)
    }
    if (occurrence.route !== '') group.route = cut(occurrence.route, MAX_SHORT)
    if (group.frame === '' && occurrence.frame !== '') group.frame = cut(occurrence.frame, MAX_TEXT)
    countInBucket(group, occurrence.timeMs)
    const example: ErrorExample = {
      traceId: occurrence.traceId,
      spanId: occurrence.spanId,
      requestId: cut(occurrence.requestId, MAX_SHORT),
      timeMs: occurrence.timeMs,
    }
    group.examples.push(example)
    if (group.examples.length > MAX_EXAMPLES) group.examples.shift()
    if (key !== '') {
      this.recent.set(key, { group, example })
      if (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value as string)
    }
  }

  private evictOldest(): void {
    const oldest = this.groups.keys().next().value as string
    this.groups.delete(oldest)
    this.counters.errorGroupsEvicted++
  }
}

function groupKey(group: Group): string {
  return `${group.service}\n${group.fingerprint}`
}

/** Moves the group's buckets on to the occurrence's minute, then counts it there (if within the hour). */
function countInBucket(group: Group, timeMs: number): void {
  const minute = Math.floor(timeMs / BUCKET_MS)
  if (minute > group.lastMinute) {
    const steps = Math.min(minute - group.lastMinute, BUCKETS)
    for (let i = 1; i <= steps; i++) group.buckets[(group.lastMinute + i) % BUCKETS] = 0
    group.lastMinute = minute
  }
  if (minute <= group.lastMinute - BUCKETS) return
  const index = minute % BUCKETS
  group.buckets[index] = (group.buckets[index] ?? 0) + 1
}

function summaryOf(group: Group, nowMs: number): ErrorGroupSummary {
  const nowMinute = Math.max(Math.floor(nowMs / BUCKET_MS), group.lastMinute)
  const series: number[] = []
  for (let minute = nowMinute - BUCKETS + 1; minute <= nowMinute; minute++) {
    const inRange = minute <= group.lastMinute && minute > group.lastMinute - BUCKETS
    series.push(inRange ? (group.buckets[minute % BUCKETS] ?? 0) : 0)
  }
  return {
    fingerprint: group.fingerprint,
    service: group.service,
    type: group.type,
    message: group.message,
    frame: group.frame,
    route: group.route,
    count: group.count,
    firstSeenMs: group.firstSeenMs,
    lastSeenMs: group.lastSeenMs,
    series,
    examples: [...group.examples].reverse().map((example) => ({ ...example })),
  }
}

/** A viewer-made fingerprint, for errors that came without Sightline's: type and top frame. */
function fallbackFingerprint(type: string, frame: string): string {
  return `${type}@${frame}`.slice(0, MAX_SHORT)
}

/** `code.file.path:code.line.number` of an exception event (Sightline writes both). */
function frameOf(attributes: Attributes): string {
  const file = text(attributes['code.file.path'])
  if (file === '') return ''
  const line = attributes['code.line.number']
  return typeof line === 'number' || typeof line === 'string' ? `${file}:${line}` : file
}

/**
 * The first frame of a V8 stack trace outside `node_modules` and Node's internals, as
 * `path:line` (what Sightline's fingerprint does, without knowing the application's root).
 */
export function topFrame(stack: string): string {
  if (stack === '') return ''
  const lines = stack.slice(0, MAX_STACK_SCAN).split('\n')
  for (const line of lines) {
    if (!/^\s+at /.test(line)) continue
    let location = line.trim().slice('at '.length)
    if (location.endsWith(')') && location.includes('(')) location = location.slice(location.lastIndexOf('(') + 1, -1)
    else if (location.startsWith('async ')) location = location.slice('async '.length)
    const match = /^(.+?):(\d+):\d+$/.exec(location)
    if (match === null) continue
    let path = match[1] as string
    if (path.startsWith('file://')) path = decodeURIComponent(path.slice('file://'.length))
    if (path.startsWith('node:') || path.startsWith('internal/') || path.includes('/node_modules/')) continue
    if (!path.includes('/') && !path.includes('\\')) continue
    return cut(`${path}:${match[2]}`, MAX_TEXT)
  }
  return ''
}

/** Sightline's `err` field (its JSON text, as the log exporter sends objects), read as far as it goes. */
function errFields(value: unknown): {
  type: string
  message: string
  fingerprint: string
  frame: string
  stack: string
} {
  const out = { type: '', message: '', fingerprint: '', frame: '', stack: '' }
  if (typeof value !== 'string' || !value.startsWith('{')) return out
  let parsed: Record<string, unknown> | undefined
  try {
    const json = JSON.parse(value) as unknown
    if (typeof json === 'object' && json !== null) parsed = json as Record<string, unknown>
  } catch {
    // Cut to the viewer's value length: the fields ahead of the stack are still there to read.
    parsed = {}
    for (const name of ['type', 'message', 'fingerprint', 'frame'] as const) {
      const match = new RegExp(`"${name}":("(?:[^"\\\\]|\\\\.)*")`).exec(value)
      if (match !== null) parsed[name] = JSON.parse(match[1] as string) as unknown
    }
  }
  if (parsed === undefined) return out
  for (const name of ['type', 'message', 'fingerprint', 'frame', 'stack'] as const) out[name] = text(parsed[name])
  return out
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : ''
}

function cut(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value
}
