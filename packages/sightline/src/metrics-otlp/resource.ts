/**
 * @module metrics-otlp/resource
 * The resource the metrics push sends: the one spans carry (tracing/sdk's `buildResource`: service
 * name, version and environment, host, process, runtime, `OTEL_RESOURCE_ATTRIBUTES`), built from
 * the environment until tracing is set up, then tracing's own (which may name a version or
 * environment given in code). Loaded on demand: an application without the push never loads the
 * OpenTelemetry SDK for it.
 */
import { resolveResourceOptions } from '../tracing/options.js'
import type { OtlpAttribute, OtlpAttributeValue } from './model.js'

/** Attributes as OpenTelemetry's `Resource.attributes` hold them. */
export type ResourceAttributes = Readonly<Record<string, unknown>>

/** The resource's attributes as the encoder takes them; values of no OTLP type are left out. */
export function otlpAttributesOf(attributes: ResourceAttributes): OtlpAttribute[] {
  const out: OtlpAttribute[] = []
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.push({ key, value })
    else if (Array.isArray(value)) {
      const items = value.filter((item) => ['string', 'number', 'boolean'].includes(typeof item))
      out.push({ key, value: items as OtlpAttributeValue })
    }
  }
  return out
}

/**
 * The resource spans would carry, from the environment (`SIGHTLINE_SERVICE_VERSION`,
 * `SIGHTLINE_ENVIRONMENT`/`NODE_ENV`, `OTEL_RESOURCE_ATTRIBUTES`) and the instance's service name.
 */
export async function resourceFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): Promise<OtlpAttribute[]> {
  const { buildResource } = await import('../tracing/sdk.js')
  return otlpAttributesOf(buildResource(resolveResourceOptions({}, env), service).attributes)
}
