/**
 * @module viewer/ui/traces-page
 * `/traces`: the newest traces first (by start time), updated live, filtered by service, route, status, error and minimum duration,
 * or found by trace id or request id. Filters live in the URL, so every view is a link.
 */
import { api, type ServiceSummary, type TraceSummary } from './client.js'
import { h, link, replace, select } from './dom.js'
import { clock, duration } from './format.js'
import { keepingScroll, live } from './live.js'

const FILTERS = ['service', 'route', 'status', 'error', 'minDurationMs', 'q'] as const

export async function tracesPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const query: Record<string, string | undefined> = {}
  for (const name of FILTERS) query[name] = params.get(name) ?? undefined
  const services = await api<{ services: ServiceSummary[] }>('/api/services')
  const serviceNames = (services?.services ?? []).map((s) => s.service)
  const heading = h('span', { class: 'dim' })
  const list = h('div', { id: 'trace-list-box' })
  let shown = ''
  const render = async () => {
    const data = await api<{ traces: TraceSummary[]; total: number }>(link('/api/traces', { ...query, limit: '200' }))
    const traces = data?.traces ?? []
    heading.textContent = `· ${traces.length} shown of ${data?.total ?? 0} kept · newest first`
    const signature = traces.map((t) => `${t.traceId}/${t.spanCount}`).join(',')
    if (signature === shown) return
    shown = signature
    keepingScroll(list, () =>
      replace(list, traces.length === 0 ? h('p', { class: 'empty' }, 'No trace matches.') : traceTable(traces)),
    )
  }
  replace(main, h('h1', {}, 'Traces ', heading), filterForm(query, serviceNames), list)
  await render()
  live(render)
}

function traceTable(traces: readonly TraceSummary[]): HTMLElement {
  return h(
    'table',
    { id: 'trace-list' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'time'),
        h('th', {}, 'trace'),
        h('th', {}, 'services'),
        h('th', {}, 'route'),
        h('th', { class: 'num' }, 'status'),
        h('th', { class: 'num' }, 'duration'),
        h('th', { class: 'num' }, 'spans'),
        h('th', {}, 'request id'),
      ),
    ),
    h('tbody', {}, ...traces.map(traceRow)),
  )
}

function filterForm(query: Record<string, string | undefined>, services: string[]): HTMLElement {
  const input = (name: string, placeholder: string, size = 'text') =>
    h('input', { name, type: size, placeholder, value: query[name] ?? '' })
  return h(
    'form',
    { class: 'filters', id: 'filters' },
    h(
      'label',
      {},
      'service',
      select('service', [['', 'any'], ...services.map((s) => [s, s] as const)], query.service ?? ''),
    ),
    h('label', {}, 'route', input('route', '/api/items/:id')),
    h('label', {}, 'status', input('status', '200 or 5xx')),
    h(
      'label',
      {},
      'error',
      select(
        'error',
        [
          ['', 'any'],
          ['true', 'errors only'],
          ['false', 'no errors'],
        ],
        query.error ?? '',
      ),
    ),
    h('label', {}, 'min duration (ms)', input('minDurationMs', '0', 'number')),
    h('label', {}, 'trace id or request id', input('q', 'search')),
    h('button', { type: 'submit' }, 'Filter'),
  )
}

function traceRow(trace: TraceSummary): HTMLElement {
  return h(
    'tr',
    { data: { traceId: trace.traceId, key: trace.traceId } },
    h('td', { class: 'mono' }, clock(trace.startMs)),
    h('td', {}, h('a', { href: `/traces/${encodeURIComponent(trace.traceId)}` }, `${trace.service}: ${trace.name}`)),
    h('td', {}, trace.services.join(', ')),
    h('td', { class: 'mono' }, trace.route),
    h(
      'td',
      { class: 'num' },
      trace.httpStatus === 0 && !trace.error
        ? ''
        : h(
            'span',
            { class: trace.error ? 'status-pill err' : 'status-pill' },
            trace.httpStatus === 0 ? 'error' : trace.httpStatus,
          ),
    ),
    h('td', { class: 'num' }, duration(trace.durationMs)),
    h('td', { class: 'num' }, trace.spanCount),
    h('td', { class: 'mono' }, trace.requestId),
  )
}
