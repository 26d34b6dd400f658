/**
 * @module viewer/ui/slo-panel
 * The objectives panel of `/services` (with `sightline viewer --slo <file>`): each declared
 * objective and the burn rate of its error budget over 5 minutes, 1 hour and 6 hours, computed by
 * the viewer from the server spans it received (`/api/slo`). Nothing without a declaration.
 */
import { api } from './client.js'
import { h } from './dom.js'
import { percent } from './format.js'

interface WindowBurn {
  window: string
  requests: number
  bad: number
  badRatio: number
  burnRate: number
}

interface ObjectiveBurn {
  service: string
  name: string
  sli: 'availability' | 'latency'
  route?: string
  method?: string
  objective: number
  window: string
  thresholdSeconds?: number
  budget: number
  windows: WindowBurn[]
}

/** The page alert's fastest factor for a 30-day period: above it, a burn is shown as urgent. */
const PAGE_BURN = 14.4

/** `12.3×`: burn rates read as multiples of the sustainable rate. */
function burn(rate: number): string {
  return `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(rate >= 10 ? 1 : 2)}×`
}

function what(objective: ObjectiveBurn): string {
  const route = objective.route === undefined ? 'all routes' : `${objective.method ?? ''} ${objective.route}`.trim()
  return objective.sli === 'availability'
    ? `${route}: ${objective.objective}% not 5xx over ${objective.window}`
    : `${route}: ${objective.objective}% within ${(objective.thresholdSeconds ?? 0) * 1000} ms over ${objective.window}`
}

function windowCell(value: WindowBurn): HTMLElement {
  const level = value.burnRate >= PAGE_BURN ? 'num err' : value.burnRate > 1 ? 'num warn' : 'num'
  return h(
    'td',
    { class: level, data: { window: value.window }, title: `${value.bad} bad of ${value.requests} requests` },
    value.requests === 0 ? '–' : `${burn(value.burnRate)} · ${percent(value.badRatio)}`,
  )
}

/** The panel, or `null` when the viewer was started without objectives. */
export async function sloPanel(): Promise<HTMLElement | null> {
  const data = await api<{ basis: string; objectives: ObjectiveBurn[] }>('/api/slo')
  const objectives = data?.objectives ?? []
  if (objectives.length === 0) return null
  const windows = objectives[0]?.windows.map((value) => value.window) ?? []
  return h(
    'section',
    { class: 'slo', id: 'slo' },
    h(
      'h2',
      {},
      'Objectives ',
      h('span', { class: 'dim' }, `· burn rate (× budget) and bad share, from ${data?.basis}`),
    ),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'objective'),
          h('th', {}, 'service'),
          h('th', {}, 'promise'),
          h('th', { class: 'num' }, 'budget'),
          ...windows.map((window) => h('th', { class: 'num' }, window)),
        ),
      ),
      h(
        'tbody',
        {},
        ...objectives.map((objective) =>
          h(
            'tr',
            { data: { slo: objective.name } },
            h('td', { class: 'mono' }, objective.name),
            h('td', {}, objective.service),
            h('td', { class: 'mono' }, what(objective)),
            h('td', { class: 'num' }, percent(objective.budget)),
            ...objective.windows.map(windowCell),
          ),
        ),
      ),
    ),
  )
}
