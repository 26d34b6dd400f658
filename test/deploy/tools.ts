/**
 * @module test/deploy/tools
 * Paths and binaries the deploy tests share: the repository root, promtool and prometheus (from
 * PROMTOOL_BIN / PROMETHEUS_BIN, as the test runner exports them), and a YAML reader.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

// test/dist/deploy/x.js → the repository root.
export const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..', '..')
export const DEPLOY = join(ROOT, 'deploy')

export const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool'
export const PROMETHEUS = process.env.PROMETHEUS_BIN ?? 'prometheus'

export function readDeploy(path: string): string {
  return readFileSync(join(DEPLOY, path), 'utf8')
}

/** Parses one YAML document of deploy/, failing the test on any syntax error. */
export function yamlOf<T = Record<string, unknown>>(path: string): T {
  // merge: docker compose resolves YAML merge keys (`<<: *anchor`), so the reader must too.
  return parse(readDeploy(path), { merge: true }) as T
}

export interface RunResult {
  status: number | null
  output: string
}

/** Runs a binary to completion; a missing binary is a failure (status null), never a skip. */
export function run(binary: string, args: string[], cwd = DEPLOY, timeoutMs = 60_000): RunResult {
  const result = spawnSync(binary, args, { cwd, encoding: 'utf8', timeout: timeoutMs })
  return {
    status: result.status,
    output: `${result.error === undefined ? '' : `${result.error.message}\n`}${result.stdout}${result.stderr}`,
  }
}
