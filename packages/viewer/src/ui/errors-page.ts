/**
 * @module viewer/ui/errors-page
 * `/errors`: error groups, the most recently seen first: type and latest message, where it was
 * thrown (`src/routes/payments.ts:42`), route, service, count, first and last seen, occurrences
 * per minute over the last hour, and links to example traces and to the logs of example requests.
 */
import type { ErrorGroupSummary as ErrorGroup } from '../errors.js'
import { sparkline } from './chart.js'
import { api, type ServiceSummary } from './client.js'
import { h, link, replace, select } from './dom.js'
import { clock } from './format.js'

export async function errorsPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const service = params.get('service') ?? ''
  const [data, services] = await Promise.all([
    api<{ groups: ErrorGroup[]; total: number; evicted: number }>(link('/api/errors', { service, limit: '500' })),
    api<{ services: ServiceSummary[] }>('/api/services'),
  ])
  const groups = data?.groups ?? []
  const occurrences = groups.reduce((sum, group) => sum + group.count, 0)
  replace(
    main,
    h(
      'h1',
      {},
      'Errors ',
      h('span', { class: 'dim' }, `· ${groups.length} groups, ${occurrences} occurrences`),
      data !== undefined && data.evicted > 0
        ? h('span', { class: 'warn' }, ` · ${data.evicted} older groups evicted`)
        : null,
    ),
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
          service,
        ),
      ),
      h('button', { type: 'submit' }, 'Filter'),
    ),
    groups.length === 0 ? h('p', { class: 'empty' }, 'No error received.') : groupTable(groups),
  )
}

function groupTable(groups: readonly ErrorGroup[]): HTMLElement {
  return h(
    'table',
    { id: 'error-groups' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'error'),
        h('th', {}, 'thrown at'),
        h('th', {}, 'route'),
        h('th', {}, 'service'),
        h('th', { class: 'num' }, 'count'),
        h('th', {}, 'first seen'),
        h('th', {}, 'last seen'),
        h('th', {}, 'last hour'),
        h('th', {}, 'examples'),
      ),
    ),
    h('tbody', {}, ...groups.map(groupRow)),
  )
}

function groupRow(group: ErrorGroup): HTMLElement {
  const traces = group.examples.filter((example) => example.traceId !== '')
  const requests = [...new Set(group.examples.map((example) => example.requestId).filter((id) => id !== ''))]
  return h(
    'tr',
    { class: 'error-group', data: { fingerprint: group.fingerprint, service: group.service } },
    h(
      'td',
      {},
      h('div', { class: 'err error-type' }, group.type),
      h('div', { class: 'dim mono error-message', title: group.message }, group.message),
    ),
    h('td', { class: 'mono error-frame' }, group.frame === '' ? '—' : group.frame),
    h('td', { class: 'mono' }, group.route === '' ? '—' : group.route),
    h('td', {}, group.service),
    h('td', { class: 'num error-count' }, group.count),
    h('td', { class: 'mono' }, clock(group.firstSeenMs)),
    h('td', { class: 'mono' }, clock(group.lastSeenMs)),
    h('td', {}, sparkline(group.series, 'errors/min', '#ff6b6b', 120, 28)),
    h(
      'td',
      { class: 'mono error-examples' },
      h(
        'div',
        { class: 'error-traces' },
        ...traces
          .slice(0, 3)
          .map((example) =>
            h(
              'a',
              { href: `/traces/${example.traceId}`, title: clock(example.timeMs) },
              `${example.traceId.slice(0, 8)} `,
            ),
          ),
      ),
      h(
        'div',
        { class: 'error-requests' },
        ...requests
          .slice(0, 3)
          .map((requestId) => h('a', { href: link('/logs', { requestId }), class: 'dim' }, `${requestId} `)),
      ),
    ),
  )
}
