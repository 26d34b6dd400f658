/**
 * @module viewer/ui/logs-page
 * `/logs`: the newest log records, filtered by service, level, text, request id or trace id;
 * each line links to its trace.
 */
import { api, type LogRecord, type ServiceSummary } from './client.js'
import { h, link, replace, select } from './dom.js'
import { clock, levelClass } from './format.js'

const FILTERS = ['service', 'level', 'text', 'requestId', 'traceId'] as const
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']

export async function logsPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const query: Record<string, string | undefined> = {}
  for (const name of FILTERS) query[name] = params.get(name) ?? undefined
  const [data, services] = await Promise.all([
    api<{ logs: LogRecord[]; total: number }>(link('/api/logs', { ...query, limit: '500' })),
    api<{ services: ServiceSummary[] }>('/api/services'),
  ])
  const logs = data?.logs ?? []
  const input = (name: string, placeholder: string) => h('input', { name, placeholder, value: query[name] ?? '' })
  replace(
    main,
    h('h1', {}, 'Logs ', h('span', { class: 'dim' }, `· ${logs.length} shown of ${data?.total ?? 0} kept`)),
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
    logs.length === 0 ? h('p', { class: 'empty' }, 'No log record matches.') : logTable(logs, undefined),
  )
}

/** A table of log lines; with `traceStart`, times are shown as offsets into the trace. */
export function logTable(logs: readonly LogRecord[], traceStart: number | undefined): HTMLElement {
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
    h(
      'tbody',
      {},
      ...logs.map((log) =>
        h(
          'tr',
          { class: 'logline' },
          h(
            'td',
            { class: 'mono' },
            traceStart === undefined ? clock(log.timeMs) : `+${(log.timeMs - traceStart).toFixed(1)} ms`,
          ),
          h('td', { class: levelClass(log.level) }, log.level),
          h('td', {}, log.service),
          h('td', { class: 'mono', title: JSON.stringify(log.attributes) }, log.body),
          h('td', { class: 'mono' }, log.requestId),
          h(
            'td',
            { class: 'mono' },
            log.traceId === '' ? '' : h('a', { href: `/traces/${log.traceId}` }, log.traceId.slice(0, 12)),
          ),
        ),
      ),
    ),
  )
}
