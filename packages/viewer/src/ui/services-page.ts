/**
 * @module viewer/ui/services-page
 * `/services`: per service and route, request rate, error ratio and p50/p95/p99 over the last
 * 15 minutes from server spans, with sparklines; refreshed every few seconds.
 */
import { sparkline } from './chart.js'
import { api, type RouteSummary, type ServiceSummary } from './client.js'
import { h, link, replace } from './dom.js'
import { duration, percent, rate } from './format.js'
import { live } from './live.js'

export async function servicesPage(main: HTMLElement): Promise<void> {
  const render = async () => {
    const data = await api<{ services: ServiceSummary[] }>('/api/services')
    const services = data?.services ?? []
    replace(
      main,
      h('h1', {}, 'Services ', h('span', { class: 'dim' }, '· last 15 minutes, from server spans')),
      services.length === 0
        ? h('p', { class: 'empty' }, 'No telemetry yet. Point an app at this URL (OTEL_EXPORTER_OTLP_ENDPOINT).')
        : null,
      ...services.map(serviceBlock),
    )
  }
  await render()
  // Live: the 10-second buckets fill as spans arrive.
  live(render)
}

function serviceBlock(service: ServiceSummary): HTMLElement {
  return h(
    'section',
    { class: 'service', data: { service: service.service } },
    h(
      'h2',
      {},
      h('a', { href: link('/traces', { service: service.service }) }, service.service),
      h(
        'span',
        { class: 'dim' },
        ` · ${rate(service.rate)} req/s · ${percent(service.errorRatio)} errors · ${service.count} requests`,
      ),
    ),
    service.routes.length === 0
      ? h('p', { class: 'dim' }, 'No server spans in the window.')
      : h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'route'),
              h('th', { class: 'num' }, 'req/s'),
              h('th', { class: 'num' }, 'errors'),
              h('th', { class: 'num' }, 'p50'),
              h('th', { class: 'num' }, 'p95'),
              h('th', { class: 'num' }, 'p99'),
              h('th', {}, 'rate · error ratio · p95'),
            ),
          ),
          h('tbody', {}, ...service.routes.map(routeRow)),
        ),
  )
}

function routeRow(route: RouteSummary): HTMLElement {
  return h(
    'tr',
    {},
    h(
      'td',
      { class: 'mono' },
      h('a', { href: link('/traces', { service: route.service, route: route.route }) }, route.route),
    ),
    h('td', { class: 'num' }, rate(route.rate)),
    h('td', { class: route.errorRatio > 0 ? 'num err' : 'num' }, percent(route.errorRatio)),
    h('td', { class: 'num' }, duration(route.p50)),
    h('td', { class: 'num' }, duration(route.p95)),
    h('td', { class: 'num' }, duration(route.p99)),
    h(
      'td',
      {},
      h(
        'div',
        { class: 'charts' },
        sparkline(route.series.rate, 'req/s', '#4aa3ff'),
        sparkline(route.series.errorRatio, 'error ratio', '#ff6b6b'),
        sparkline(route.series.p95, 'p95 ms', '#f4c152'),
      ),
    ),
  )
}
