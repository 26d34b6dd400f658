/**
 * @module deploy/grafana
 * Typed builders for the parts of Grafana's dashboard JSON model the kit uses (schema version 39,
 * Grafana 10/11). Plain objects rather than the foundation SDK: the model we need is small, and the
 * output stays readable in review.
 */
import { DATASOURCE_PROMETHEUS_UID } from './names.js'

export const PROMETHEUS = { type: 'prometheus', uid: DATASOURCE_PROMETHEUS_UID } as const

export interface Target {
  refId: string
  expr: string
  legendFormat?: string
  /** Ask Prometheus for exemplars too: Grafana draws them as dots that link to the trace. */
  exemplar?: boolean
  instant?: boolean
  format?: 'time_series' | 'table'
  datasource: typeof PROMETHEUS
}

export interface GridPos {
  x: number
  y: number
  w: number
  h: number
}

export interface Panel {
  id: number
  type: 'timeseries' | 'table' | 'stat' | 'state-timeline' | 'row'
  title: string
  description?: string
  gridPos: GridPos
  datasource?: typeof PROMETHEUS
  targets?: Target[]
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] }
  options?: Record<string, unknown>
  transformations?: unknown[]
  collapsed?: boolean
  panels?: Panel[]
}

export interface Dashboard {
  uid: string
  title: string
  description: string
  tags: string[]
  timezone: 'browser'
  editable: boolean
  graphTooltip: 1
  schemaVersion: 39
  version: 1
  refresh: string
  time: { from: string; to: string }
  templating: { list: unknown[] }
  annotations: { list: unknown[] }
  panels: Panel[]
}

export interface QuerySpec {
  expr: string
  legend?: string
  exemplar?: boolean
}

/** Lays panels out left to right, 24 columns wide, wrapping to a new line as Grafana does. */
export class Layout {
  private x = 0
  private y = 0
  private rowHeight = 0
  private id = 0

  nextId(): number {
    this.id += 1
    return this.id
  }

  place(w: number, h: number): GridPos {
    if (this.x + w > 24) this.newLine()
    const pos = { x: this.x, y: this.y, w, h }
    this.x += w
    this.rowHeight = Math.max(this.rowHeight, h)
    return pos
  }

  newLine(): void {
    this.y += this.rowHeight
    this.x = 0
    this.rowHeight = 0
  }
}

function targets(queries: QuerySpec[], extra: Partial<Target> = {}): Target[] {
  return queries.map((query, index) => ({
    refId: String.fromCharCode(65 + index),
    expr: query.expr,
    ...(query.legend === undefined ? {} : { legendFormat: query.legend }),
    ...(query.exemplar === true ? { exemplar: true } : {}),
    datasource: PROMETHEUS,
    ...extra,
  }))
}

export function row(layout: Layout, title: string): Panel {
  layout.newLine()
  const panel: Panel = {
    id: layout.nextId(),
    type: 'row',
    title,
    gridPos: layout.place(24, 1),
    collapsed: false,
    panels: [],
  }
  layout.newLine()
  return panel
}

export interface TimeseriesOptions {
  unit: string
  description: string
  width?: number
  min?: number
  max?: number
  /** A red threshold line, e.g. the alert's threshold. */
  threshold?: number
}

export function timeseries(layout: Layout, title: string, queries: QuerySpec[], options: TimeseriesOptions): Panel {
  const thresholds =
    options.threshold === undefined
      ? { mode: 'absolute', steps: [{ color: 'green', value: null }] }
      : {
          mode: 'absolute',
          steps: [
            { color: 'green', value: null },
            { color: 'red', value: options.threshold },
          ],
        }
  return {
    id: layout.nextId(),
    type: 'timeseries',
    title,
    description: options.description,
    gridPos: layout.place(options.width ?? 12, 8),
    datasource: PROMETHEUS,
    targets: targets(queries),
    fieldConfig: {
      defaults: {
        unit: options.unit,
        ...(options.min === undefined ? {} : { min: options.min }),
        ...(options.max === undefined ? {} : { max: options.max }),
        thresholds,
        custom: { thresholdsStyle: { mode: options.threshold === undefined ? 'off' : 'line' } },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'desc' } },
  }
}

/** One row per series, the instant values of several queries merged on their labels. */
export function table(
  layout: Layout,
  title: string,
  queries: QuerySpec[],
  columns: Record<string, { name: string; unit: string }>,
  description: string,
): Panel {
  const overrides = Object.entries(columns).map(([column, { name, unit }]) => ({
    matcher: { id: 'byName', options: column },
    properties: [
      { id: 'displayName', value: name },
      { id: 'unit', value: unit },
    ],
  }))
  return {
    id: layout.nextId(),
    type: 'table',
    title,
    description,
    gridPos: layout.place(24, 9),
    datasource: PROMETHEUS,
    targets: targets(queries, { instant: true, format: 'table' }),
    fieldConfig: { defaults: {}, overrides },
    options: { showHeader: true, sortBy: [{ displayName: columns['Value #A']?.name ?? '', desc: true }] },
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: { Time: true } } },
    ],
  }
}

/** Up/down over time: 1 green "UP", 0 red "DOWN". */
export function upDownTimeline(layout: Layout, title: string, queries: QuerySpec[], description: string): Panel {
  return {
    id: layout.nextId(),
    type: 'state-timeline',
    title,
    description,
    gridPos: layout.place(12, 8),
    datasource: PROMETHEUS,
    targets: targets(queries),
    fieldConfig: {
      defaults: {
        mappings: [
          {
            type: 'value',
            options: { '0': { text: 'DOWN', color: 'red', index: 0 }, '1': { text: 'UP', color: 'green', index: 1 } },
          },
        ],
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'red', value: null },
            { color: 'green', value: 1 },
          ],
        },
      },
      overrides: [],
    },
    options: { showValue: 'auto', mergeValues: true, legend: { displayMode: 'list', placement: 'bottom' } },
  }
}

/** The `job` variable every query filters on, filled from the services Prometheus scrapes. */
export function jobVariable(metric: string): unknown {
  return {
    type: 'query',
    name: 'job',
    label: 'Service',
    datasource: PROMETHEUS,
    query: { query: `label_values(${metric}, job)`, refId: 'job' },
    definition: `label_values(${metric}, job)`,
    refresh: 2,
    includeAll: true,
    allValue: '.+',
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  }
}

export function dashboard(
  fields: Pick<Dashboard, 'uid' | 'title' | 'description' | 'tags'>,
  variables: unknown[],
  panels: Panel[],
): Dashboard {
  return {
    ...fields,
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: variables },
    annotations: {
      list: [
        {
          name: 'Alerts',
          enable: true,
          iconColor: 'red',
          datasource: PROMETHEUS,
          expr: 'ALERTS{alertstate="firing", job=~"$job"}',
          titleFormat: '{{ alertname }}',
          textFormat: '{{ summary }}',
          step: '60s',
        },
      ],
    },
    panels,
  }
}

export interface StatOptions {
  unit: string
  description: string
  width?: number
  /** Colour steps: below the first value red, then each step's colour from its value up. */
  steps: { color: string; value: number | null }[]
}

/** One big number per series (its last value), coloured by thresholds. */
export function stat(layout: Layout, title: string, queries: QuerySpec[], options: StatOptions): Panel {
  return {
    id: layout.nextId(),
    type: 'stat',
    title,
    description: options.description,
    gridPos: layout.place(options.width ?? 12, 6),
    datasource: PROMETHEUS,
    targets: targets(queries),
    fieldConfig: {
      defaults: { unit: options.unit, thresholds: { mode: 'absolute', steps: options.steps } },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'area',
      textMode: 'value_and_name',
    },
  }
}

/** A variable listing the values of `label` on `metric` (after `filter`), "All" selected. */
export function labelVariable(name: string, label: string, metric: string, filter = ''): unknown {
  const query = `label_values(${metric}${filter}, ${label})`
  return {
    type: 'query',
    name,
    label: name === 'slo' ? 'Objective' : label,
    datasource: PROMETHEUS,
    query: { query, refId: name },
    definition: query,
    refresh: 2,
    includeAll: true,
    allValue: '.+',
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  }
}
