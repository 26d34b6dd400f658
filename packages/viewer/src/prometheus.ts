/**
 * @module viewer/prometheus
 * Reads a Prometheus text exposition (format 0.0.4, and OpenMetrics' text, which it overlaps) into
 * the viewer's metric points, so a scraped endpoint lands in the same store as OTLP metrics:
 * counters become cumulative monotonic sums, gauges (and untyped samples) gauges, histograms
 * cumulative explicit-bucket histograms (the `_bucket{le}` series turned into per-bucket counts),
 * summaries their count and sum. Tolerant like the OTLP normaliser: a line it cannot read is
 * counted and skipped, never the whole scrape.
 */
import type { NormaliseCounters } from './counters.js'
import { TEMPORALITY_CUMULATIVE, type ViewerMetricPoint } from './model.js'
import { attributesOf, stringField, type ValueLimits } from './values.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/

/** One sample line: `name{a="b",…} value [timestamp]`; `undefined` when it does not read. */
export function parseSample(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0]
  if (name === undefined) return undefined
  let pos = name.length
  const labels: Record<string, string> = {}
  if (line[pos] === '{') {
    pos++
    while (true) {
      while (line[pos] === ' ' || line[pos] === ',') pos++
      if (line[pos] === '}') {
        pos++
        break
      }
      const label = NAME.exec(line.slice(pos))?.[0]
      if (label === undefined || line[pos + label.length] !== '=' || line[pos + label.length + 1] !== '"')
        return undefined
      pos += label.length + 2
      let value = ''
      while (pos < line.length && line[pos] !== '"') {
        if (line[pos] === '\\') {
          const next = line[pos + 1]
          value += next === 'n' ? '\n' : (next ?? '')
          pos += 2
        } else value += line[pos++]
      }
      if (line[pos] !== '"') return undefined
      pos++
      labels[label] = value
    }
  }
  const fields = line.slice(pos).trim().split(/\s+/)
  const text = fields[0]
  if (text === undefined || text === '') return undefined
  const value = text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text)
  if (Number.isNaN(value) && text !== 'NaN') return undefined
  return { name, labels, value }
}

function withoutLabel(labels: Record<string, string>, drop: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(labels)) if (key !== drop) out[key] = value
  return out
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join('\u0000')
}

/** The unit a Prometheus name's suffix states (the naming conventions put base units there). */
function unitOf(name: string): string {
  if (/_seconds(_total|_count|_sum|_bucket)?$/.test(name)) return 's'
  if (/_bytes(_total)?$/.test(name)) return 'By'
  if (/_ratio$/.test(name)) return '1'
  return ''
}

interface HistogramBuild {
  labels: Record<string, string>
  buckets: [number, number][]
  count: number
  sum: number
}

/**
 * The metric points of one scrape, dated `nowMs`, under `service`.
 * @example parseExposition('# TYPE up gauge\nup 1\n', 'api', Date.now(), limits, counters)
 */
export function parseExposition(
  text: string,
  service: string,
  nowMs: number,
  limits: ValueLimits,
  counters: NormaliseCounters,
): ViewerMetricPoint[] {
  const types = new Map<string, string>()
  const units = new Map<string, string>()
  const samples: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line === '# EOF') continue
    if (line.startsWith('#')) {
      const match = /^#\s+(TYPE|UNIT)\s+(\S+)\s+(\S+)/.exec(line)
      if (match?.[1] === 'TYPE') types.set(match[2]!, match[3]!.toLowerCase())
      else if (match?.[1] === 'UNIT') units.set(match[2]!, match[3]!)
      continue
    }
    const sample = parseSample(line)
    if (sample === undefined) counters.recordsRejected++
    else samples.push(sample)
  }
  const familyOf = (name: string): [string, string] => {
    if (types.has(name)) return [name, types.get(name)!]
    for (const suffix of ['_total', '_bucket', '_count', '_sum', '_created']) {
      if (name.endsWith(suffix)) {
        const family = name.slice(0, -suffix.length)
        if (types.has(family)) return [family, types.get(family)!]
      }
    }
    return [name, 'untyped']
  }
  const point = (
    name: string,
    labels: Record<string, string>,
    fields: Partial<ViewerMetricPoint>,
  ): ViewerMetricPoint => ({
    name: stringField(name, limits, counters),
    service,
    type: 'gauge',
    unit: units.get(name) ?? unitOf(name),
    timeMs: nowMs,
    value: 0,
    count: 1,
    attributes: attributesOf(
      Object.entries(labels).map(([key, value]) => ({ key, value: { stringValue: value } })),
      limits,
      counters,
    ),
    startMs: 0,
    temporality: 0,
    ...fields,
  })
  const out: ViewerMetricPoint[] = []
  const histograms = new Map<string, HistogramBuild & { family: string; type: string }>()
  for (const sample of samples) {
    const [family, type] = familyOf(sample.name)
    if (sample.name.endsWith('_created')) continue
    if (type === 'counter') {
      out.push(
        point(sample.name, sample.labels, {
          type: 'sum',
          value: sample.value,
          monotonic: true,
          temporality: TEMPORALITY_CUMULATIVE,
        }),
      )
    } else if (type === 'histogram' || type === 'summary') {
      if (type === 'summary' && sample.name === family) continue // quantile samples: not kept
      const labels = withoutLabel(sample.labels, 'le')
      const key = `${family}\u0000${labelKey(labels)}`
      let build = histograms.get(key)
      if (build === undefined) histograms.set(key, (build = { family, type, labels, buckets: [], count: 0, sum: 0 }))
      if (sample.name === `${family}_bucket`) {
        const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le)
        if (!Number.isNaN(le)) build.buckets.push([le, sample.value])
      } else if (sample.name === `${family}_count`) build.count = sample.value
      else if (sample.name === `${family}_sum`) build.sum = sample.value
    } else {
      out.push(point(sample.name, sample.labels, { value: sample.value }))
    }
  }
  for (const build of histograms.values()) {
    const fields: Partial<ViewerMetricPoint> = {
      type: build.type,
      value: build.sum,
      count: build.count,
      temporality: build.type === 'histogram' ? TEMPORALITY_CUMULATIVE : 0,
    }
    if (build.type === 'histogram' && build.buckets.length > 0) {
      // Cumulative `le` counts to per-bucket counts; the +Inf bucket is the last, unbounded one.
      const sorted = build.buckets.sort((a, b) => a[0] - b[0])
      const bounds = sorted.filter(([le]) => le !== Infinity).map(([le]) => le)
      const cumulative = sorted.map(([, count]) => count)
      if (sorted.at(-1)![0] !== Infinity) cumulative.push(build.count)
      fields.bounds = bounds
      fields.bucketCounts = cumulative.map((count, i) => Math.max(0, count - (i === 0 ? 0 : cumulative[i - 1]!)))
    }
    out.push(point(build.family, build.labels, fields))
  }
  return out
}
