/**
 * @module tracing/instrumentations
 * OpenTelemetry's instrumentations (mongodb, mysql2, ioredis, amqplib, kafkajs, graphql, aws-sdk…)
 * under Sightline's tracing. An instrumentation makes its spans with the tracer provider it is
 * given and finds their parent through the API's global context (`context.active()`), so each is
 * given this tracing's provider, and the tracing is registered as the API's global (options.ts):
 * its context manager answers with the request's server span. Their spans then go through
 * Sightline's batch processor and exporter, and its drop counters, like Sightline's own.
 *
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` names them as OpenTelemetry's auto-instrumentations-node
 * does: short names of `@opentelemetry/instrumentation-<name>` packages. Sightline bundles none,
 * so nothing is enabled unless named, and a named package that is not installed is an error
 * naming it (SIGHTLINE_ERR_MISSING_PEER), not a client silently left untraced.
 */
import { createRequire } from 'node:module'
import type { TracerProvider } from '@opentelemetry/api'
import { importPeer, SightlineOptionError } from '../core/errors.js'

/**
 * What Sightline uses of an OpenTelemetry instrumentation (`Instrumentation` in
 * @opentelemetry/instrumentation, which is not a dependency of Sightline): any instance of a class
 * built on `InstrumentationBase` fits.
 */
export interface OpenTelemetryInstrumentation {
  readonly instrumentationName: string
  setTracerProvider(tracerProvider: TracerProvider): void
  enable(): void
  disable(): void
  /** The modules it hooks (InstrumentationBase on Node): the ESM loader is told to wrap them. */
  getModuleDefinitions?(): ReadonlyArray<{ name: string }>
}

/** The environment variable, as auto-instrumentations-node names it. */
export const ENV_ENABLED_INSTRUMENTATIONS = 'OTEL_NODE_ENABLED_INSTRUMENTATIONS'
const PACKAGE_PREFIX = '@opentelemetry/instrumentation-'
/** A short name (`ioredis`, `aws-sdk`, `socket.io`), or a full package name for one published elsewhere. */
const NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i

/** The `instrumentations` option, checked: an array of instrumentations. */
export function readInstrumentations(value: unknown): readonly OpenTelemetryInstrumentation[] {
  if (value === undefined) return []
  const expected = 'an array of OpenTelemetry instrumentations (objects with enable and setTracerProvider)'
  if (!Array.isArray(value)) throw new SightlineOptionError('instrumentations', expected, value)
  for (const item of value) {
    const candidate = item as Partial<OpenTelemetryInstrumentation> | null
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.enable !== 'function' ||
      typeof candidate.disable !== 'function' ||
      typeof candidate.setTracerProvider !== 'function'
    ) {
      throw new SightlineOptionError('instrumentations', expected, item)
    }
  }
  return [...new Set(value as OpenTelemetryInstrumentation[])]
}

/**
 * The packages `OTEL_NODE_ENABLED_INSTRUMENTATIONS` names, each once, in order: `ioredis` is
 * `@opentelemetry/instrumentation-ioredis`; a name with a scope (`@scope/name`) is taken as given.
 */
export function readInstrumentationPackages(envValue: string | undefined): readonly string[] {
  const packages = new Set<string>()
  for (const raw of envValue?.split(',') ?? []) {
    const name = raw.trim()
    if (name === '') continue
    if (!NAME.test(name)) {
      throw new SightlineOptionError(ENV_ENABLED_INSTRUMENTATIONS, 'comma-separated instrumentation names', name)
    }
    packages.add(name.startsWith('@') ? name : `${PACKAGE_PREFIX}${name}`)
  }
  return [...packages]
}

/** How a package is loaded; a parameter so a test can stand for one that is not installed. */
export type PackageLoader = (name: string, feature: string) => Promise<Record<string, unknown>>

type InstrumentationClass = new () => OpenTelemetryInstrumentation

/** The instrumentation class a package exports (a CommonJS package's exports may sit on `default`). */
function instrumentationClass(name: string, module: Record<string, unknown>): InstrumentationClass {
  const exports = { ...(module.default as Record<string, unknown> | undefined), ...module }
  const classes = Object.entries(exports).filter(
    ([key, value]) =>
      key.endsWith('Instrumentation') &&
      typeof value === 'function' &&
      typeof (value.prototype as Partial<OpenTelemetryInstrumentation> | undefined)?.enable === 'function',
  )
  const unique = [...new Set(classes.map(([, value]) => value))]
  if (unique.length !== 1) {
    const found = classes.length === 0 ? 'none' : classes.map(([key]) => key).join(', ')
    throw new SightlineOptionError(
      ENV_ENABLED_INSTRUMENTATIONS,
      `a package exporting one instrumentation class (found ${found}; pass it in code with the instrumentations option)`,
      name,
    )
  }
  return unique[0] as InstrumentationClass
}

/**
 * Loads the named packages (all of them first: a missing one fails before any is enabled) and
 * returns their instrumentations' constructors, for set-up to call once the ESM loader is in place
 * (a constructed instrumentation hooks its modules at once).
 */
export async function loadInstrumentationPackages(
  packages: readonly string[],
  load: PackageLoader = importPeer,
): Promise<Array<() => OpenTelemetryInstrumentation>> {
  const modules = await Promise.all(
    packages.map((name) => load(name, `${ENV_ENABLED_INSTRUMENTATIONS}=${name.replace(PACKAGE_PREFIX, '')}`)),
  )
  return modules.map((module, i) => {
    const Instrumentation = instrumentationClass(packages[i] as string, module)
    return () => new Instrumentation()
  })
}

/**
 * Where @opentelemetry/instrumentation is for these packages (the copy whose
 * import-in-the-middle their hooks register with), else the one Sightline itself resolves; none
 * when it is not installed.
 */
export function instrumentationEntry(packages: readonly string[]): string | undefined {
  const own = createRequire(import.meta.url)
  for (const from of [...packages.map((name) => tryResolve(own, name)), import.meta.url]) {
    if (from === undefined) continue
    const entry = tryResolve(createRequire(from), '@opentelemetry/instrumentation')
    if (entry !== undefined) return entry
  }
  return undefined
}

function tryResolve(require: NodeJS.Require, name: string): string | undefined {
  try {
    return require.resolve(name)
  } catch {
    return undefined
  }
}

/** The module names the instrumentations hook, each once. */
export function hookedModules(instrumentations: readonly OpenTelemetryInstrumentation[]): string[] {
  const names = new Set<string>()
  for (const instrumentation of instrumentations) {
    for (const definition of instrumentation.getModuleDefinitions?.() ?? []) names.add(definition.name)
  }
  return [...names]
}

/**
 * Instrumentations whose spans Sightline already makes itself: enabled beside Sightline, each of
 * their calls would be traced twice.
 */
const OVERLAPPING: Readonly<Record<string, string>> = {
  '@opentelemetry/instrumentation-http': 'node:http server spans and client spans',
  '@opentelemetry/instrumentation-undici': 'fetch and undici client spans',
}

/** What an instrumentation duplicates of Sightline's own spans, if anything. */
export function overlapOf(instrumentation: OpenTelemetryInstrumentation): string | undefined {
  return OVERLAPPING[instrumentation.instrumentationName]
}

/**
 * Gives each instrumentation the tracer provider and enables it, as OpenTelemetry's
 * registerInstrumentations does (one made with `enabled: false` is enabled too). Metrics an
 * instrumentation records still go to the API's global meter provider: Sightline's metrics are
 * Prometheus', not OpenTelemetry's. Returns what undoes it, for shutdown.
 */
export function enableInstrumentations(
  instrumentations: readonly OpenTelemetryInstrumentation[],
  provider: TracerProvider,
): () => void {
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(provider)
    instrumentation.enable()
  }
  return () => {
    for (const instrumentation of instrumentations) instrumentation.disable()
  }
}
