/**
 * @module viewer/ui/metrics-page
 * `/metrics`: the metrics that arrived over OTLP (or from `--scrape`), one picked at a time and
 * split by one of its attributes: counters as rates, gauges as values, histograms as p50/p95/p99
 * from their buckets; a chart per group and a table of the groups' figures; updated live. The
 * choice lives in the URL (`?service&name&by`), so every view is a link.
 */
import type { MetricGroup, MetricInfo } from '../metrics-view.js'
import { timeChart } from './chart.js'
import { api } from './client.js'
import { h, link, replace, select } from './dom.js'
import { duration, number, rate } from './format.js'
import { live } from './live.js'

interface MetricView extends MetricInfo {
  by: string
  groups: MetricGroup[]
}

const COLOURS = ['#58a6ff', '#a371f7', '#3fc7b0', '#f0883e', '#db61a2', '#a3c94a']
const KIND_LABEL = { rate: 'counter · rate', gauge: 'gauge', histogram: 'histogram', summary: 'summary' }

/** Values in the metric's unit: seconds and milliseconds as durations, the rest as numbers with the unit. */
function formatter(unit: string): (value: number) => string {
  if (unit === 's') return (value) => duration(value * 1000)
  if (unit === 'ms') return duration
  if (unit === '' || unit === '1' || unit.startsWith('{')) return number
  return (value) => `${number(value)} ${unit}`
}

export async function metricsPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const list = h('div', { class: 'metric-list', id: 'metric-list' })
  const panel = h('div', { class: 'metric-panel', id: 'metric-panel' })
  const heading = h('span', { class: 'dim' })
  replace(main, h('h1', {}, 'Metrics ', heading), h('div', { class: 'metric-layout' }, list, panel))
  let shownList = ''
  const render = async () => {
    const catalog = await api<{ metrics: MetricInfo[]; series: number }>('/api/metric-names')
    const metrics = catalog?.metrics ?? []
    heading.textContent = `· ${metrics.length} metrics, ${catalog?.series ?? 0} series, from OTLP and scrapes`
    const selected =
      metrics.find(
        (m) => m.name === params.get('name') && (!params.get('service') || m.service === params.get('service')),
      ) ?? metrics[0]
    const signature = metrics.map((m) => `${m.service}/${m.name}`).join(',') + (selected?.name ?? '')
    if (signature !== shownList) {
      shownList = signature
      replace(
        list,
        ...metrics.flatMap((metric, i) => [
          i === 0 || metrics[i - 1]!.service !== metric.service
            ? h('div', { class: 'metric-service' }, metric.service)
            : null,
          h(
            'a',
            {
              href: link('/metrics', { service: metric.service, name: metric.name }),
              class: metric === selected ? 'active' : '',
              data: { metric: metric.name, service: metric.service },
            },
            h('span', { class: 'mono' }, metric.name),
            h('span', { class: 'dim' }, `${KIND_LABEL[metric.kind]} · ${metric.series} series`),
          ),
        ]),
      )
    }
    if (selected === undefined) {
      replace(
        panel,
        h(
          'p',
          { class: 'empty' },
          'No metrics yet. Export OTLP metrics to this URL (OTEL_EXPORTER_OTLP_ENDPOINT), or start the viewer with --scrape URL.',
        ),
      )
      return
    }
    const by = params.get('by') ?? ''
    const view = await api<MetricView>(link('/api/metric-view', { service: selected.service, name: selected.name, by }))
    if (view === undefined) return
    replace(panel, metricPanel(view))
  }
  await render()
  live(render)
}

function metricPanel(view: MetricView): HTMLElement {
  const format = formatter(view.unit)
  const splitter = select(
    'by',
    [['', 'nothing (all series)'], ...view.attributeKeys.map((k) => [k, k] as const)],
    view.by,
  )
  splitter.addEventListener('change', () => {
    location.href = link('/metrics', { service: view.service, name: view.name, by: splitter.value })
  })
  const charts = view.groups.map((group, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    const title = view.by === '' ? view.name : `${view.by}=${group.key}`
    if (view.kind === 'histogram' && group.p50 !== undefined) {
      return timeChart(group.t, group.p50, {
        label: `${title} · p50`,
        color: colour,
        format,
        more: [
          { label: 'p95', color: '#e3b341', values: group.p95 ?? [] },
          { label: 'p99', color: '#ff7b72', values: group.p99 ?? [] },
        ],
      })
    }
    const perSecond = view.kind === 'rate' || view.kind === 'histogram' || view.kind === 'summary'
    return timeChart(group.t, group.values, {
      label: perSecond ? `${title} · per second` : title,
      color: colour,
      format: perSecond ? rate : format,
    })
  })
  return h(
    'section',
    { class: 'card', data: { metric: view.name, kind: view.kind } },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { class: 'mono' }, view.name),
      h('span', { class: 'badge' }, KIND_LABEL[view.kind]),
      view.unit === '' ? null : h('span', { class: 'badge' }, `unit ${view.unit}`),
      h('span', { class: 'dim' }, view.service),
    ),
    h('form', { class: 'filters split' }, h('label', {}, 'split by', splitter)),
    h('div', { class: 'charts', id: 'metric-charts' }, ...charts),
    groupTable(view, format),
  )
}

function groupTable(view: MetricView, format: (value: number) => string): HTMLElement {
  const head =
    view.kind === 'rate'
      ? ['rate now', 'increase']
      : view.kind === 'gauge'
        ? ['latest']
        : view.kind === 'histogram'
          ? ['count', 'sum', 'p50', 'p95', 'p99']
          : ['count', 'sum']
  return h(
    'table',
    { class: 'metric-table', id: 'metric-groups' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, view.by === '' ? 'series' : view.by),
        ...head.map((label) => h('th', { class: 'num' }, label)),
      ),
    ),
    h(
      'tbody',
      {},
      ...view.groups.map((group) => {
        const data: Record<string, string> = { group: group.key }
        const cells: string[] = []
        if (view.kind === 'rate') {
          cells.push(rate(group.values.at(-1) ?? 0), number(group.total ?? 0))
          data.total = String(group.total ?? 0)
          data.rate = String(group.values.at(-1) ?? 0)
        } else if (view.kind === 'gauge') {
          cells.push(format(group.latest ?? 0))
          data.latest = String(group.latest ?? 0)
        } else {
          cells.push(number(group.count ?? 0), format(group.sum ?? 0))
          data.count = String(group.count ?? 0)
          data.sum = String(group.sum ?? 0)
          if (view.kind === 'histogram') {
            const q = group.quantiles ?? { p50: 0, p95: 0, p99: 0 }
            cells.push(format(q.p50), format(q.p95), format(q.p99))
            data.p50 = String(q.p50)
            data.p95 = String(q.p95)
            data.p99 = String(q.p99)
          }
        }
        return h(
          'tr',
          { data },
          h('td', { class: 'mono' }, view.by === '' ? 'all' : group.key === '' ? '(none)' : group.key),
          ...cells.map((cell) => h('td', { class: 'num' }, cell)),
        )
      }),
    ),
  )
}
