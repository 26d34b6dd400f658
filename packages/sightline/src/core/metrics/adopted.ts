/**
 * @module adopted
 * Registries of other libraries (prom-client's, for applications migrating with metrics already
 * written) served on Sightline's `/metrics` after its own series. A name both would emit is
 * refused: at adoption and when Sightline makes a metric later, by throwing; when the other
 * registry makes one later, by leaving it out of the scrape and counting it.
 */
import { SightlineError } from '../errors.js'

/** What Sightline needs of an adopted registry: prom-client's `Registry` (v13 to v15) has it. */
export interface ExternalRegistry {
  /** The whole exposition (prom-client: async). */
  metrics(): Promise<string> | string
  /** Every metric, for its name and type. */
  getMetricsAsArray(): ReadonlyArray<{ name: string; type?: unknown }>
  /** One metric's exposition, to serve the others when one clashes. */
  getSingleMetricAsString?(name: string): Promise<string> | string
  /** prom-client's: the OpenMetrics content type when the registry renders OpenMetrics. */
  readonly contentType?: string
}

/** The names a metric puts in an exposition: its family and every sample name. */
export function emittedNames(name: string, type: unknown): string[] {
  if (type === 'counter') {
    const family = name.endsWith('_total') ? name.slice(0, -'_total'.length) : name
    return [family, `${family}_total`]
  }
  if (type === 'histogram') return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`]
  return [name]
}

export function isExternalRegistry(value: unknown): value is ExternalRegistry {
  const candidate = value as ExternalRegistry | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.metrics === 'function' &&
    typeof candidate.getMetricsAsArray === 'function'
  )
}

export class AdoptedRegistries {
  private readonly registries: ExternalRegistry[] = []
  /** The names Sightline's own registry emits, asked at each check (metrics are made at any time). */
  private readonly ownNames: () => Map<string, string>
  private readonly onRefused: (metric: string) => void

  constructor(ownNames: () => Map<string, string>, onRefused: (metric: string) => void) {
    this.ownNames = ownNames
    this.onRefused = onRefused
  }

  get size(): number {
    return this.registries.length
  }

  /** Adds `registry`, or throws SIGHTLINE_ERR_METRIC_CLASH naming the first metric both emit. */
  add(registry: ExternalRegistry): void {
    if (this.registries.includes(registry)) return
    const own = this.ownNames()
    const taken = new Map(own)
    for (const other of this.registries) for (const [name, owner] of namesOf(other)) taken.set(name, owner)
    for (const metric of registry.getMetricsAsArray()) {
      for (const name of emittedNames(metric.name, metric.type)) {
        const owner = taken.get(name)
        if (owner !== undefined)
          throw clash(metric.name, owner, own.has(name) ? 'Sightline' : 'another adopted registry')
      }
    }
    this.registries.push(registry)
  }

  /** Throws SIGHTLINE_ERR_METRIC_CLASH if an adopted registry emits one of `names` (Sightline's new metric `metric`). */
  assertFree(metric: string, names: readonly string[]): void {
    for (const registry of this.registries) {
      const theirs = namesOf(registry)
      for (const name of names) {
        const owner = theirs.get(name)
        if (owner !== undefined) throw clash(owner, metric, 'Sightline')
      }
    }
  }

  /** Every adopted registry's exposition in the scrape's format, clashing metrics left out. */
  async render(openMetrics: boolean): Promise<string> {
    let out = ''
    const own = this.ownNames()
    for (const registry of this.registries) {
      const metrics = registry.getMetricsAsArray()
      const refused = metrics.filter((m) => emittedNames(m.name, m.type).some((name) => own.has(name)))
      let text: string
      if (refused.length === 0 || typeof registry.getSingleMetricAsString !== 'function') {
        text = refused.length === 0 ? await registry.metrics() : ''
      } else {
        const parts: string[] = []
        for (const metric of metrics)
          if (!refused.includes(metric)) parts.push(await registry.getSingleMetricAsString(metric.name))
        text = parts.join('\n')
      }
      for (const metric of refused) this.onRefused(metric.name)
      out += convert(text, isOpenMetrics(registry), openMetrics)
    }
    return out
  }
}

function namesOf(registry: ExternalRegistry): Map<string, string> {
  const names = new Map<string, string>()
  for (const metric of registry.getMetricsAsArray())
    for (const name of emittedNames(metric.name, metric.type)) names.set(name, metric.name)
  return names
}

function clash(adopted: string, own: string, side: string): SightlineError {
  return new SightlineError(
    'SIGHTLINE_ERR_METRIC_CLASH',
    `metric ${adopted} of an adopted registry clashes with ${own}, which ${side} already emits: rename one of them`,
  )
}

function isOpenMetrics(registry: ExternalRegistry): boolean {
  return registry.contentType?.startsWith('application/openmetrics-text') === true
}

/**
 * `text` (one registry's exposition) in the scrape's format: blank lines and `# EOF` dropped; a
 * counter's family and sample names as that format wants them (OpenMetrics: family `x`, sample
 * `x_total`; the text format: both `x_total`); exemplars only in OpenMetrics.
 */
export function convert(text: string, fromOpenMetrics: boolean, toOpenMetrics: boolean): string {
  let out = ''
  let counterFamily: string | undefined
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (line === '' || line === '# EOF') continue
    if (fromOpenMetrics === toOpenMetrics) {
      out += `${line}\n`
      continue
    }
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const rest = line.slice(7)
      const space = rest.indexOf(' ')
      const name = space === -1 ? rest : rest.slice(0, space)
      const tail = space === -1 ? '' : rest.slice(space)
      if (line.startsWith('# HELP ')) {
        // prom-client writes HELP before TYPE: look ahead for this metric's type.
        const next = lines[i + 1] ?? ''
        counterFamily = next === `# TYPE ${name} counter` ? familyOf(name) : undefined
      } else if (tail !== ' counter') {
        counterFamily = undefined
      }
      out += `# ${line.slice(2, 6)} ${counterFamily === undefined ? name : toOpenMetrics ? counterFamily : `${counterFamily}_total`}${tail}\n`
      continue
    }
    if (line.startsWith('#')) {
      out += `${line}\n`
      continue
    }
    let sample = line
    if (!toOpenMetrics) {
      const exemplar = sample.indexOf(' # {')
      if (exemplar !== -1) sample = sample.slice(0, exemplar)
    }
    if (counterFamily !== undefined && sample.startsWith(counterFamily)) {
      const after = sample.charCodeAt(counterFamily.length)
      // `x{…} 1` or `x 1`: the sample of a counter named without `_total`.
      if (after === 0x7b || after === 0x20) sample = `${counterFamily}_total${sample.slice(counterFamily.length)}`
    }
    out += `${sample}\n`
  }
  return out
}

function familyOf(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -'_total'.length) : name
}
