/**
 * @module deploy/slo-declarations
 * The service-level objectives the kit generates rules for: each service's `slo.yaml`, read and
 * validated by `sightline/slo` (the same reader the viewer uses). Add a service by adding its file
 * here.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseObjectives, type ServiceObjectives } from 'sightline/slo'
import { parse } from 'yaml'

/** Declarations, relative to the repository root. */
export const SLO_FILES = ['examples/doctor-api/slo.yaml'] as const

// deploy/dist/src/x.js → the repository root.
const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..', '..')

/** Parses one declaration's YAML text; errors name `source` and the offending key. */
export function objectivesFromYaml(yamlText: string, source: string): ServiceObjectives {
  return parseObjectives(parse(yamlText), source)
}

/** Every declared service's objectives, read from SLO_FILES. */
export function declaredObjectives(): ServiceObjectives[] {
  return SLO_FILES.map((file) => objectivesFromYaml(readFileSync(join(ROOT, file), 'utf8'), file))
}
