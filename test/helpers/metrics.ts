/**
 * @module test/helpers/metrics
 * A small parser for the Prometheus text format and OpenMetrics, for asserting on scraped series.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  exemplar?: { labels: Record<string, string>; value: number; timestamp?: number }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*?)\})?\s+(\S+)(?:\s+(\S+))?(?:\s+#\s+\{(.*?)\}\s+(\S+)(?:\s+(\S+))?)?$/

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {}
  if (text === undefined || text === '') return labels
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
  for (const match of text.matchAll(pattern)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
  }
  return labels
}

function parseNumber(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(text)
}

/** Parses every sample line; throws on a line it cannot read. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = SAMPLE.exec(line)
    if (match === null) throw new Error(`unparseable metrics line: ${line}`)
    const sample: Sample = {
      name: match[1] as string,
      labels: parseLabels(match[3]),
      value: parseNumber(match[4] as string),
    }
    if (match[6] !== undefined) {
      sample.exemplar = {
        labels: parseLabels(match[6]),
        value: parseNumber(match[7] as string),
        ...(match[8] === undefined ? {} : { timestamp: Number(match[8]) }),
      }
    }
    samples.push(sample)
  }
  return samples
}

/** The samples named `name` whose labels include `labels`. */
export function findSamples(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )
}

/** The value of the one sample named `name` with `labels`, or undefined. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return findSamples(samples, name, labels)[0]?.value
}
