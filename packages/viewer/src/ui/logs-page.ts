/**
 * @module viewer/ui/logs-page
 * `/logs`: the newest log records first, filtered by service, level, text, request id or trace id,
 * updated live. A line shows its request's method, path and status beside the message; clicked, it
 * opens every attribute as a table, with its trace, span and request ids as links.
 */
import { type Attributes, api, type LogRecord, type ServiceSummary } from './client.js'
import { type Child, h, link, replace, select } from './dom.js'
import { clock, dateTime, levelClass } from './format.js'
import { keepingScroll, live } from './live.js'

const FILTERS = ['service', 'level', 'text', 'requestId', 'traceId'] as const
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
/** Attributes shown beside the message, first key found of each group (Sightline's, then semantic conventions'). */
const INLINE: readonly (readonly string[])[] = [
  ['method', 'http.request.method', 'http.method'],
  ['path', 'url.path', 'http.route', 'http.target', 'url'],
  ['status', 'http.response.status_code', 'http.status_code', 'status_code'],
  ['duration_ms', 'response_time', 'duration'],
]

export async function logsPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const query: Record<string, string | undefined> = {}
  for (const name of FILTERS) query[name] = params.get(name) ?? undefined
  const services = await api<{ services: ServiceSummary[] }>('/api/services')
  const heading = h('span', { class: 'dim' })
  const list = h('div', { id: 'log-list' })
  const open = new Set<string>()
  let shown = ''
  const render = async () => {
    const data = await api<{ logs: LogRecord[]; total: number }>(link('/api/logs', { ...query, limit: '500' }))
    const logs = data?.logs ?? []
    heading.textContent = `· ${logs.length} shown of ${data?.total ?? 0} kept · newest first`
    const signature = `${logs.length}:${logs[0]?.seq ?? ''}:${logs.at(-1)?.seq ?? ''}`
    if (signature === shown) return
    shown = signature
    keepingScroll(list, () =>
      replace(
        list,
        logs.length === 0 ? h('p', { class: 'empty' }, 'No log record matches.') : logTable(logs, undefined, open),
      ),
    )
  }
  const input = (name: string, placeholder: string) => h('input', { name, placeholder, value: query[name] ?? '' })
  replace(
    main,
    h('h1', {}, 'Logs ', heading),
    h(
      'form',
      { class: 'filters', id: 'filters' },
      h(
        'label',
        {},
        'service',
        select(
          'service',
          [['', 'any'], ...(services?.services ?? []).map((s) => [s.service, s.service] as const)],
          query.service ?? '',
        ),
      ),
      h(
        'label',
        {},
        'level at least',
        select('level', [['', 'any'], ...LEVELS.map((l) => [l, l] as const)], query.level ?? ''),
      ),
      h('label', {}, 'text', input('text', 'contains')),
      h('label', {}, 'request id', input('requestId', 'request id')),
      h('label', {}, 'trace id', input('traceId', 'trace id')),
      h('button', { type: 'submit' }, 'Filter'),
    ),
    list,
  )
  await render()
  live(render)
}

/**
 * A table of log lines, each opening to its attributes on click; with `traceStart`, times are
 * shown as offsets into the trace. `open` holds the keys of the lines shown open (kept across refreshes).
 */
export function logTable(
  logs: readonly LogRecord[],
  traceStart: number | undefined,
  open: Set<string> = new Set(),
): HTMLElement {
  const body = h('tbody', {})
  for (const log of logs) {
    const key = `log-${log.seq}`
    const detail = h('tr', { class: 'log-detail' }, h('td', { colspan: '6' }, logDetail(log)))
    detail.hidden = !open.has(key)
    const row = h(
      'tr',
      {
        class: detail.hidden ? 'logline' : 'logline open',
        data: { key, seq: String(log.seq) },
        on: {
          click: (event) => {
            // A click on a link follows it; anywhere else on the line opens or closes it.
            if ((event.target as Element).closest('a') !== null) return
            detail.hidden = !detail.hidden
            row.classList.toggle('open', !detail.hidden)
            if (detail.hidden) open.delete(key)
            else open.add(key)
          },
        },
      },
      h(
        'td',
        { class: 'mono nowrap' },
        traceStart === undefined ? clock(log.timeMs) : `+${(log.timeMs - traceStart).toFixed(1)} ms`,
      ),
      h('td', {}, h('span', { class: `level level-${levelClass(log.level)}` }, log.level)),
      h('td', {}, log.service),
      h('td', { class: 'message' }, h('span', { class: 'mono' }, log.body), ...inlineAttributes(log.attributes)),
      h('td', { class: 'mono' }, log.requestId),
      h(
        'td',
        { class: 'mono' },
        log.traceId === '' ? '' : h('a', { href: `/traces/${log.traceId}` }, log.traceId.slice(0, 12)),
      ),
    )
    body.append(row, detail)
  }
  return h(
    'table',
    { class: 'logs' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, traceStart === undefined ? 'time' : 'offset'),
        h('th', {}, 'level'),
        h('th', {}, 'service'),
        h('th', {}, 'message'),
        h('th', {}, 'request id'),
        h('th', {}, 'trace'),
      ),
    ),
    body,
  )
}

function inlineAttributes(attributes: Attributes): Child[] {
  const out: Child[] = []
  for (const keys of INLINE) {
    const key = keys.find((k) => attributes[k] !== undefined && attributes[k] !== null && attributes[k] !== '')
    if (key === undefined) continue
    const value = String(attributes[key])
    const cls = keys[0] === 'status' && Number(value) >= 500 ? 'chip chip-err' : 'chip'
    out.push(h('span', { class: cls, title: key }, value))
  }
  return out
}

/** Every field of the record: ids as links, then each attribute, in key order. */
function logDetail(log: LogRecord): HTMLElement {
  const rows: [string, Child][] = [
    ['time', dateTime(log.timeMs)],
    ['level', log.level],
    ['service', log.service],
    ['message', log.body],
    [
      'trace_id',
      log.traceId === '' ? '' : h('a', { href: `/traces/${log.traceId}`, class: 'trace-link' }, log.traceId),
    ],
    [
      'span_id',
      log.spanId === '' || log.traceId === ''
        ? log.spanId
        : h('a', { href: link(`/traces/${log.traceId}`, { span: log.spanId }) }, log.spanId),
    ],
    [
      'request_id',
      log.requestId === '' ? '' : h('a', { href: link('/logs', { requestId: log.requestId }) }, log.requestId),
    ],
  ]
  const keys = Object.keys(log.attributes).sort()
  for (const key of keys) if (key !== 'request_id') rows.push([key, String(log.attributes[key])])
  return h(
    'table',
    { class: 'attributes' },
    h(
      'tbody',
      {},
      ...rows
        .filter(([, value]) => value !== '')
        .map(([key, value]) =>
          h('tr', { data: { attribute: key } }, h('td', { class: 'mono key' }, key), h('td', { class: 'mono' }, value)),
        ),
    ),
  )
}
