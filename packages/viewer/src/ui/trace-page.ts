/**
 * @module viewer/ui/trace-page
 * `/traces/<trace_id>`: the waterfall across services, each span's attributes, events and
 * exceptions (click a row), and the trace's log lines interleaved in time under their span; a time
 * axis, subtrees that collapse, a span search and an attribute filter that highlight what matches.
 * `?span=<span id>` opens that span.
 */
import { type Attributes, api, type LogRecord, type Span, type TraceDetail } from './client.js'
import { h, replace } from './dom.js'
import { clock, duration, levelClass } from './format.js'
import { logTable } from './logs-page.js'

const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
const STATUS_ERROR = 2

type Item = { kind: 'span'; at: number; span: Span } | { kind: 'log'; at: number; log: LogRecord }

export async function tracePage(main: HTMLElement, traceId: string, params = new URLSearchParams()): Promise<void> {
  const trace = await api<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`)
  if (trace === undefined) {
    replace(main, h('h1', {}, 'Trace not found'), h('p', { class: 'empty' }, `No trace ${traceId} is kept (yet).`))
    return
  }
  const serviceColour = new Map<string, number>()
  for (const span of trace.spans)
    if (!serviceColour.has(span.service)) serviceColour.set(span.service, serviceColour.size % 6)
  const total = Math.max(trace.durationMs, 0.001)
  const rows = h('div', { class: 'waterfall', id: 'waterfall' }, timeAxis(total))
  const entries: Row[] = []
  const items = flatten(trace)
  for (const [index, [item, depth]] of items.entries()) {
    const hasChildren = items[index + 1] !== undefined && items[index + 1]![1] > depth
    const entry: Row =
      item.kind === 'log'
        ? { depth, element: logRow(item.log, depth, trace.startMs, total), span: undefined }
        : {
            depth,
            span: item.span,
            element: spanRow(
              item.span,
              depth,
              trace.startMs,
              total,
              serviceColour.get(item.span.service) ?? 0,
              hasChildren,
              () => toggle(item.span.spanId),
            ),
          }
    entries.push(entry)
    rows.appendChild(entry.element)
  }
  const collapsed = new Set<string>()
  const layout = () => {
    let hideBelow = Number.POSITIVE_INFINITY
    for (const entry of entries) {
      if (entry.depth <= hideBelow) hideBelow = Number.POSITIVE_INFINITY
      entry.element.hidden = entry.depth > hideBelow
      if (entry.span !== undefined && collapsed.has(entry.span.spanId) && entry.depth < hideBelow) {
        hideBelow = entry.depth
      }
      const button = entry.element.querySelector<HTMLButtonElement>('button.wf-toggle')
      if (button !== null && entry.span !== undefined) {
        const closed = collapsed.has(entry.span.spanId)
        button.textContent = closed ? '▸' : '▾'
        button.setAttribute('aria-expanded', String(!closed))
      }
    }
  }
  const toggle = (spanId: string) => {
    if (collapsed.has(spanId)) collapsed.delete(spanId)
    else collapsed.add(spanId)
    layout()
  }
  const search = h('input', { id: 'span-search', type: 'search', placeholder: 'find spans: name, service or value' })
  const filter = h('input', { id: 'span-filter', placeholder: 'attribute filter: key=value or key' })
  const matches = h('span', { class: 'dim', id: 'span-matches' })
  const applySearch = () => {
    const needle = search.value.trim().toLowerCase()
    const [key, ...rest] = filter.value.split('=')
    const wantKey = (key ?? '').trim()
    const wantValue = rest.length === 0 ? undefined : rest.join('=').trim()
    let count = 0
    for (const entry of entries) {
      if (entry.span === undefined) continue
      const active = needle !== '' || wantKey !== ''
      const hit = active && spanMatches(entry.span, needle, wantKey, wantValue)
      entry.element.querySelector('.wf-row')?.classList.toggle('match', hit)
      entry.element.classList.toggle('dimmed', active && !hit)
      if (hit) count++
    }
    matches.textContent = needle === '' && wantKey === '' ? '' : `${count} of ${trace.spans.length} spans match`
  }
  search.addEventListener('input', applySearch)
  filter.addEventListener('input', applySearch)
  const tools = h(
    'div',
    { class: 'wf-tools' },
    search,
    filter,
    matches,
    h('button', { type: 'button', id: 'collapse-all', on: { click: () => collapseAll(true) } }, 'Collapse all'),
    h('button', { type: 'button', id: 'expand-all', on: { click: () => collapseAll(false) } }, 'Expand all'),
  )
  const collapseAll = (close: boolean) => {
    collapsed.clear()
    if (close) {
      for (const [index, entry] of entries.entries()) {
        const next = entries[index + 1]
        if (entry.span !== undefined && next !== undefined && next.depth > entry.depth && entry.depth > 0) {
          collapsed.add(entry.span.spanId)
        }
      }
    }
    layout()
  }
  replace(
    main,
    h('h1', {}, `${trace.service}: ${trace.name}`),
    h(
      'div',
      { class: 'summary-line' },
      h('span', { class: 'mono', id: 'trace-id' }, trace.traceId),
      h('span', { class: 'badge' }, clock(trace.startMs)),
      h('span', { class: 'badge' }, duration(trace.durationMs)),
      h('span', { class: 'badge' }, `${trace.spanCount} spans`),
      h('span', { class: 'badge' }, trace.services.join(', ')),
      trace.httpStatus === 0
        ? null
        : h('span', { class: trace.error ? 'status-pill err' : 'status-pill' }, String(trace.httpStatus)),
      trace.requestId === '' ? null : h('span', { class: 'badge' }, `request ${trace.requestId}`),
    ),
    tools,
    rows,
    h('h2', {}, `Log lines (${trace.logs.length})`),
    trace.logs.length === 0
      ? h('p', { class: 'dim' }, 'No log record of this trace.')
      : logTable(trace.logs, trace.startMs),
  )
  const wanted = params.get('span')
  if (wanted !== null) {
    const entry = entries.find((e) => e.span?.spanId === wanted)
    if (entry !== undefined) {
      entry.element.querySelector('.wf-row')?.classList.add('selected')
      const details = entry.element.querySelector<HTMLElement>('.details')
      if (details !== null) details.hidden = false
      entry.element.scrollIntoView({ block: 'center' })
    }
  }
}

interface Row {
  depth: number
  element: HTMLElement
  span: Span | undefined
}

/** Whether a span's name, service or an attribute value contains `needle`, and it has the attribute asked for. */
function spanMatches(span: Span, needle: string, key: string, value: string | undefined): boolean {
  if (needle !== '') {
    const inValues = Object.values(span.attributes).some((v) => String(v).toLowerCase().includes(needle))
    if (!span.name.toLowerCase().includes(needle) && !span.service.toLowerCase().includes(needle) && !inValues) {
      return false
    }
  }
  if (key !== '') {
    const found = span.attributes[key]
    if (found === undefined) return false
    if (value !== undefined && String(found) !== value) return false
  }
  return true
}

/** Ticks at each quarter of the trace, labelled with the offset from its start. */
function timeAxis(total: number): HTMLElement {
  const ticks = h('div', { class: 'wf-ticks' })
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = h('span', { class: fraction === 1 ? 'wf-tick last' : 'wf-tick' }, duration(total * fraction))
    tick.style.left = `${fraction * 100}%`
    ticks.appendChild(tick)
  }
  return h('div', { class: 'wf-axis' }, h('div', { class: 'wf-name' }, 'span'), ticks)
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

function spanRow(
  span: Span,
  depth: number,
  start: number,
  total: number,
  colour: number,
  hasChildren: boolean,
  onToggle: () => void,
): HTMLElement {
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
  const toggle = h(
    'button',
    {
      type: 'button',
      class: hasChildren ? 'wf-toggle' : 'wf-toggle spacer',
      title: 'collapse or expand the spans under this one',
      on: {
        click: (event) => {
          event.stopPropagation()
          onToggle()
        },
      },
    },
    '▾',
  )
  const name = h(
    'div',
    { class: 'wf-name', title: span.name },
    toggle,
    h('span', { class: `wf-svc svc-${colour}` }, span.service),
    h('span', { class: error ? 'err' : '' }, span.name),
  )
  name.style.paddingLeft = `${6 + depth * 16}px`
  const details = spanDetails(span)
  details.hidden = true
  const row = h(
    'div',
    {
      class: 'wf-row',
      data: { spanId: span.spanId, depth: String(depth) },
      on: { click: () => (details.hidden = !details.hidden) },
    },
    name,
    h('div', { class: 'wf-track' }, bar, label),
  )
  return h('div', { class: 'wf-item', data: { spanId: span.spanId } }, row, details)
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
  name.style.paddingLeft = `${28 + depth * 16}px`
  return h(
    'div',
    { class: 'wf-item' },
    h('div', { class: 'wf-row wf-log' }, name, h('div', { class: 'wf-track' }, dot)),
  )
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
