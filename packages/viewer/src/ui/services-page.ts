/**
 * @module viewer/ui/services-page
 * `/services`: per service and route, request rate, error ratio and p50/p95/p99 over the last
 * 15 minutes from server spans, each span weighted by 1 / its sampling probability when it carries
 * one; charts with axes and a hover readout; updated live.
 */
import { timeChart } from './chart.js'
import { api, type RouteSummary, type ServiceSummary } from './client.js'
import { type Child, h, link, replace } from './dom.js'
import { count, duration, percent, rate } from './format.js'
import { live } from './live.js'
import { sloPanel } from './slo-panel.js'

const COLOURS = { rate: '#58a6ff', errors: '#ff7b72', latency: '#e3b341' }
/** The charts show at least the last 5 minutes (30 buckets), more when older buckets hold requests. */
const MIN_CHART_BUCKETS = 30

type Series = ServiceSummary['series']

/**
 * The series from a little before its first request on (at least the last 5 minutes): a few
 * requests a minute ago are then a shape, not one spike at the edge of fifteen empty minutes.
 */
function recent(series: Series): Series {
  const first = series.rate.findIndex((value) => value > 0)
  const start = Math.max(0, Math.min(first < 0 ? Infinity : first - 3, series.t.length - MIN_CHART_BUCKETS))
  const cut = (values: number[]) => values.slice(start)
  return {
    t: cut(series.t),
    rate: cut(series.rate),
    errorRatio: cut(series.errorRatio),
    p50: cut(series.p50),
    p95: cut(series.p95),
    p99: cut(series.p99),
  }
}

/** Percent for an axis: whole numbers. */
function axisPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`
}

export async function servicesPage(main: HTMLElement): Promise<void> {
  const render = async () => {
    const data = await api<{ services: ServiceSummary[] }>('/api/services')
    const services = data?.services ?? []
    const objectives = await sloPanel()
    replace(
      main,
      h('h1', {}, 'Services ', h('span', { class: 'dim' }, '· last 15 minutes, from server spans')),
      objectives,
      services.length === 0
        ? h('p', { class: 'empty' }, 'No telemetry yet. Point an app at this URL (OTEL_EXPORTER_OTLP_ENDPOINT).')
        : null,
      ...services.map(serviceBlock),
    )
  }
  await render()
  // Live: the 10-second buckets fill as spans arrive; not while the pointer reads a chart.
  live(async () => {
    if (document.querySelector('svg.chart-svg[data-hover]') === null) await render()
  })
}

/** Where the counts come from: weighted by the sampling probability the spans carried, or as received. */
function basis(signals: { spans: number; weightedSpans: number; source?: string }): HTMLElement {
  if (signals.source === 'metrics' || signals.source === 'mixed')
    return h(
      'span',
      {
        class: 'badge badge-ok',
        title:
          'Request counts, rates and error ratios from the http.server.request.duration histogram: every request, sampled or not.',
      },
      signals.source === 'metrics' ? 'from metrics' : 'from metrics and spans',
    )
  if (signals.spans === 0) return h('span', { class: 'badge' }, 'no requests')
  if (signals.weightedSpans === 0)
    return h(
      'span',
      { class: 'badge', title: 'The spans carry no sampling probability: each counts as one request.' },
      'from received spans',
    )
  const all = signals.weightedSpans === signals.spans
  return h(
    'span',
    {
      class: 'badge badge-ok',
      title: 'Each span counts 1 / the sampling probability in its tracestate (ot=th:…).',
    },
    all ? 'sampling-weighted' : `sampling-weighted (${signals.weightedSpans} of ${signals.spans} spans)`,
  )
}

function stat(label: string, value: Child, cls = ''): HTMLElement {
  return h(
    'div',
    { class: `stat ${cls}` },
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-label' }, label),
  )
}

function serviceBlock(service: ServiceSummary): HTMLElement {
  const series = recent(service.series)
  return h(
    'section',
    { class: 'service card', data: { service: service.service, rate: String(service.rate) } },
    h(
      'div',
      { class: 'card-head' },
      h('h2', {}, h('a', { href: link('/traces', { service: service.service }) }, service.service)),
      basis(service),
    ),
    h(
      'div',
      { class: 'stats' },
      stat('requests', rate(service.rate)),
      stat('errors', percent(service.errorRatio), service.errorRatio > 0 ? 'err' : ''),
      stat('p50', duration(service.p50)),
      stat('p95', duration(service.p95)),
      stat('p99', duration(service.p99)),
      stat('in 15 min', count(service.count)),
    ),
    service.count === 0
      ? null
      : h(
          'div',
          { class: 'charts' },
          timeChart(series.t, series.rate, { label: 'requests', color: COLOURS.rate, format: rate }),
          timeChart(series.t, series.errorRatio, {
            label: 'error ratio',
            color: COLOURS.errors,
            format: axisPercent,
          }),
          timeChart(series.t, series.p95, {
            label: 'p95 latency',
            color: COLOURS.latency,
            format: duration,
          }),
        ),
    service.routes.length === 0
      ? h('p', { class: 'dim' }, 'No server spans in the window.')
      : h(
          'table',
          { class: 'routes' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'route'),
              h('th', { class: 'num' }, 'rate'),
              h('th', { class: 'num' }, 'requests'),
              h('th', { class: 'num' }, 'errors'),
              h('th', { class: 'num' }, 'p50'),
              h('th', { class: 'num' }, 'p95'),
              h('th', { class: 'num' }, 'p99'),
              h('th', {}, 'rate · p95'),
            ),
          ),
          h('tbody', {}, ...service.routes.map(routeRow)),
        ),
  )
}

function routeRow(route: RouteSummary): HTMLElement {
  const series = recent(route.series)
  return h(
    'tr',
    {
      data: {
        route: route.route,
        rate: String(route.rate),
        count: String(route.count),
        errorRatio: String(route.errorRatio),
        source: route.source ?? 'spans',
      },
    },
    h(
      'td',
      { class: 'mono' },
      h('a', { href: link('/traces', { service: route.service, route: route.route }) }, route.route),
    ),
    h('td', { class: 'num rate' }, rate(route.rate)),
    h('td', { class: 'num', title: `${route.spans} spans received` }, count(route.count)),
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
        timeChart(series.t, series.rate, {
          label: 'req/s',
          color: COLOURS.rate,
          format: rate,
          compact: true,
        }),
        timeChart(series.t, series.p95, {
          label: 'p95',
          color: COLOURS.latency,
          format: duration,
          compact: true,
        }),
      ),
    ),
  )
}
