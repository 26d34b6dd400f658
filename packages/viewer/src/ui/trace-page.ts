/**
 * @module viewer/ui/trace-page
 * `/traces/<trace_id>`: the waterfall across services, each span's attributes, events and
 * exceptions (click a row), and the trace's log lines interleaved in time under their span.
 */
import { type Attributes, api, type LogRecord, type Span, type TraceDetail } from './client.js'
import { h, replace } from './dom.js'
import { clock, duration, levelClass } from './format.js'
import { logTable } from './logs-page.js'

const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
const STATUS_ERROR = 2

type Item = { kind: 'span'; at: number; span: Span } | { kind: 'log'; at: number; log: LogRecord }

export async function tracePage(main: HTMLElement, traceId: string): Promise<void> {
  const trace = await api<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`)
  if (trace === undefined) {
    replace(main, h('h1', {}, 'Trace not found'), h('p', { class: 'empty' }, `No trace ${traceId} is kept (yet).`))
    return
  }
  const serviceColour = new Map<string, number>()
  for (const span of trace.spans)
    if (!serviceColour.has(span.service)) serviceColour.set(span.service, serviceColour.size % 6)
  const total = Math.max(trace.durationMs, 0.001)
  const rows = h('div', { class: 'waterfall', id: 'waterfall' })
  for (const [item, depth] of flatten(trace)) {
    if (item.kind === 'log') rows.appendChild(logRow(item.log, depth, trace.startMs, total))
    else rows.appendChild(spanRow(item.span, depth, trace.startMs, total, serviceColour.get(item.span.service) ?? 0))
  }
  replace(
    main,
    h('h1', {}, `${trace.service}: ${trace.name}`),
    h(
      'p',
      { class: 'dim' },
      'trace ',
      h('span', { class: 'mono', id: 'trace-id' }, trace.traceId),
      ` · ${clock(trace.startMs)} · ${duration(trace.durationMs)} · ${trace.spanCount} spans · services: ${trace.services.join(', ')}`,
      trace.requestId === '' ? '' : ` · request ${trace.requestId}`,
    ),
    h('h2', {}, 'Waterfall'),
    rows,
    h('h2', {}, `Log lines (${trace.logs.length})`),
    trace.logs.length === 0
      ? h('p', { class: 'dim' }, 'No log record of this trace.')
      : logTable(trace.logs, trace.startMs),
  )
}

/** Spans in tree order; each span's child spans and log lines sorted together by time. */
function flatten(trace: TraceDetail): [Item, number][] {
  const ids = new Set(trace.spans.map((s) => s.spanId))
  const children = new Map<string, Item[]>()
  const add = (parent: string, item: Item) => {
    const list = children.get(parent)
    if (list === undefined) children.set(parent, [item])
    else list.push(item)
  }
  for (const span of trace.spans)
    add(ids.has(span.parentSpanId) ? span.parentSpanId : '', { kind: 'span', at: span.startMs, span })
  for (const log of trace.logs) add(ids.has(log.spanId) ? log.spanId : '', { kind: 'log', at: log.timeMs, log })
  const out: [Item, number][] = []
  const walk = (parent: string, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.at - b.at)
    for (const item of list) {
      out.push([item, depth])
      if (item.kind === 'span') walk(item.span.spanId, depth + 1)
    }
  }
  walk('', 0)
  return out
}

function spanRow(span: Span, depth: number, start: number, total: number, colour: number): HTMLElement {
  const error = span.statusCode === STATUS_ERROR
  const bar = h('div', { class: `wf-bar svc-${colour}${error ? ' bar-err' : ''}` })
  const left = ((span.startMs - start) / total) * 100
  bar.style.left = `${Math.min(99.5, left)}%`
  bar.style.width = `${Math.max(0.3, (span.durationMs / total) * 100)}%`
  const label = h('span', { class: 'wf-dur' }, duration(span.durationMs))
  const end = left + (span.durationMs / total) * 100
  // Beside the bar's end, or before its start when the bar reaches the right edge.
  if (end < 85) label.style.left = `${end}%`
  else label.style.right = `${Math.max(0, 100 - left)}%`
  const name = h(
    'div',
    { class: 'wf-name', title: span.name },
    h('span', { class: 'dim' }, `${span.service} `),
    span.name,
  )
  name.style.paddingLeft = `${6 + depth * 14}px`
  const details = spanDetails(span)
  details.hidden = true
  const row = h(
    'div',
    { class: 'wf-row', data: { spanId: span.spanId }, on: { click: () => (details.hidden = !details.hidden) } },
    name,
    h('div', { class: 'wf-track' }, bar, label),
  )
  const wrapper = h('div', {}, row, details)
  return wrapper
}

function logRow(log: LogRecord, depth: number, start: number, total: number): HTMLElement {
  const dot = h('div', { class: 'wf-dot' })
  dot.style.left = `${Math.min(99, ((log.timeMs - start) / total) * 100)}%`
  const name = h(
    'div',
    { class: 'wf-name', title: log.body },
    h('span', { class: levelClass(log.level) }, `${log.level} `),
    log.body,
  )
  name.style.paddingLeft = `${6 + depth * 14}px`
  return h('div', { class: 'wf-row wf-log' }, name, h('div', { class: 'wf-track' }, dot))
}

function spanDetails(span: Span): HTMLElement {
  const exceptions = span.events.filter((event) => event.name === 'exception')
  const others = span.events.filter((event) => event.name !== 'exception')
  return h(
    'div',
    { class: 'details' },
    attributeTable({
      service: span.service,
      kind: KIND_NAMES[span.kind] ?? String(span.kind),
      'span id': span.spanId,
      'parent span id': span.parentSpanId,
      status: ['unset', 'ok', 'error'][span.statusCode] ?? String(span.statusCode),
      'status message': span.statusMessage,
      start: clock(span.startMs),
      duration: duration(span.durationMs),
    }),
    h('h2', {}, 'Attributes'),
    attributeTable(span.attributes),
    ...exceptions.map((event) =>
      h('div', {}, h('h2', { class: 'err' }, `Exception at ${clock(event.timeMs)}`), attributeTable(event.attributes)),
    ),
    others.length === 0 ? null : h('h2', {}, 'Events'),
    ...others.map((event) =>
      h('div', {}, h('p', {}, `${clock(event.timeMs)} ${event.name}`), attributeTable(event.attributes)),
    ),
  )
}

function attributeTable(attributes: Attributes): HTMLElement {
  const entries = Object.entries(attributes).filter(([, value]) => value !== '' && value !== null)
  return h(
    'table',
    { class: 'attributes' },
    h(
      'tbody',
      {},
      ...entries.map(([key, value]) =>
        h('tr', {}, h('td', { class: 'mono' }, key), h('td', { class: 'mono' }, String(value))),
      ),
    ),
  )
}
