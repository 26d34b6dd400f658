/**
 * @module validation
 * Prometheus' own name rules and the escaping of the text formats.
 * https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
 */
import { SightlineError } from '../errors.js'

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const NEEDS_LABEL_ESCAPE = /[\\"\n]/
const RESERVED_LABELS = new Set(['le', 'quantile'])

export function assertMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new SightlineError('SIGHTLINE_ERR_METRIC_NAME', `invalid metric name ${JSON.stringify(name)}`)
  }
}

export function assertLabelNames(metric: string, names: readonly string[]): void {
  const seen = new Set<string>()
  for (const name of names) {
    if (typeof name !== 'string' || !LABEL_NAME.test(name) || name.startsWith('__') || RESERVED_LABELS.has(name)) {
      throw new SightlineError('SIGHTLINE_ERR_METRIC_NAME', `invalid label name ${JSON.stringify(name)} on ${metric}`)
    }
    if (seen.has(name)) {
      throw new SightlineError('SIGHTLINE_ERR_METRIC_NAME', `duplicate label name "${name}" on ${metric}`)
    }
    seen.add(name)
  }
}

/** Escapes a label value for both exposition formats. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(value)) return value
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** Escapes HELP text. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** Renders a sample value the way Prometheus parses it. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value)
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? '+Inf' : '-Inf'
}
