/**
 * @module tracing/propagators
 * The propagator `OTEL_PROPAGATORS` (or the `propagators` option) names, as OpenTelemetry defines
 * the variable: a comma-separated list, `tracecontext,baggage` by default, `none` for no
 * propagation. `tracecontext` and `baggage` are Sightline's own (tracing/trace-context,
 * tracing/baggage); `b3`, `b3multi`, `jaeger`, `xray` and `ottrace` are OpenTelemetry's propagator
 * packages, optional peer dependencies loaded only when named: a missing one is an error naming
 * the package to install, not a silently unpropagated trace.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration
 */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api'
import { importPeer } from '../core/errors.js'
import { CompositePropagator } from '../vendor/otel-sdk.js'
import { W3CBaggage } from './baggage.js'
import type { PropagatorName } from './options.js'
import { W3CTraceContext } from './trace-context.js'

/** How a peer package is loaded; a parameter so a test can stand for one that is not installed. */
export type PeerLoader = <T>(name: string, feature: string) => Promise<T>

type PropagatorClass = new (config?: unknown) => TextMapPropagator

/** A class exported by a CommonJS package, whichever way `import()` surfaced it. */
function exported(module: Record<string, unknown>, name: string): PropagatorClass {
  const value = module[name] ?? (module.default as Record<string, unknown> | undefined)?.[name]
  return value as PropagatorClass
}

async function load(name: PropagatorName, loadPeer: PeerLoader): Promise<TextMapPropagator> {
  const feature = `OTEL_PROPAGATORS=${name}`
  switch (name) {
    case 'tracecontext':
      return new W3CTraceContext()
    case 'baggage':
      return new W3CBaggage()
    case 'b3':
    case 'b3multi': {
      const module = await loadPeer<Record<string, unknown>>('@opentelemetry/propagator-b3', feature)
      // B3InjectEncoding.MULTI_HEADER is 1, SINGLE_HEADER 0 (the package's enum).
      return new (exported(module, 'B3Propagator'))({ injectEncoding: name === 'b3multi' ? 1 : 0 })
    }
    case 'jaeger': {
      const module = await loadPeer<Record<string, unknown>>('@opentelemetry/propagator-jaeger', feature)
      return new (exported(module, 'JaegerPropagator'))()
    }
    case 'xray': {
      const module = await loadPeer<Record<string, unknown>>('@opentelemetry/propagator-aws-xray', feature)
      return new (exported(module, 'AWSXRayPropagator'))()
    }
    case 'ottrace': {
      const module = await loadPeer<Record<string, unknown>>('@opentelemetry/propagator-ot-trace', feature)
      return new (exported(module, 'OTTracePropagator'))()
    }
    case 'none':
      return NO_PROPAGATION
  }
}

/** `none`: nothing read, nothing sent. */
const NO_PROPAGATION: TextMapPropagator = Object.freeze({
  inject(_context: Context, _carrier: unknown, _setter: TextMapSetter): void {},
  extract(context: Context, _carrier: unknown, _getter: TextMapGetter): Context {
    return context
  },
  fields(): string[] {
    return []
  },
})

/** The propagator for `names` (resolved by tracing/options: known, deduplicated, in order). */
export async function buildPropagator(
  names: readonly PropagatorName[],
  loadPeer: PeerLoader = importPeer,
): Promise<TextMapPropagator> {
  if (names.length === 0 || names.includes('none')) return NO_PROPAGATION
  const propagators = await Promise.all(names.map((name) => load(name, loadPeer)))
  return propagators.length === 1 ? (propagators[0] as TextMapPropagator) : new CompositePropagator({ propagators })
}
