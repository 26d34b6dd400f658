/**
 * The W3C trace-context test harness (github.com/w3c/trace-context, its test/ folder: test.py,
 * client.py, server.py, tracecontext/) run against the zero-code launcher on node:http (node:http
 * client) and on Fastify (fetch), at STRICT_LEVEL 1 and 2. The harness is third-party code and is
 * not in this repository: point W3C_TRACE_CONTEXT_HARNESS at a copy of that folder (python3 with
 * aiohttp needed, `PYTHON` names it if python3 on the PATH is another). Not part of `npm test`
 * (CI cannot fetch the harness, and a suite test must never skip there): every rule it checks is
 * also a test of our own (packages/sightline/src/tracing/*.test.ts, test/tracing/propagation.test.ts).
 * Run by hand, it fails when the harness is missing:
 *
 *   W3C_TRACE_CONTEXT_HARNESS=/path/to/trace-context/test node --test test/dist/tracing/w3c-harness.js
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`
const HARNESS = process.env.W3C_TRACE_CONTEXT_HARNESS
/** The harness's Python (aiohttp installed): `PYTHON`, else python3 on the PATH. */
const PYTHON = process.env.PYTHON ?? 'python3'

function skipReason(): string | undefined {
  if (HARNESS === undefined) return 'W3C_TRACE_CONTEXT_HARNESS is not set'
  if (!existsSync(join(HARNESS, 'test.py'))) return `no test.py in ${HARNESS}`
  if (spawnSync(PYTHON, ['-c', 'import aiohttp']).status !== 0) return 'python3 with aiohttp is not installed'
  return undefined
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await (await fetch(url, { method: 'POST', body: '[]' })).arrayBuffer()
      return
    } catch (error) {
      if (i > 150) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

interface HarnessResult {
  ran: number
  failed: number
  skipped: number
  output: string
}

/** Runs test.py against `endpoint`; counts from unittest's summary lines. */
async function runHarness(endpoint: string, strictLevel: number): Promise<HarnessResult> {
  const child = spawn(PYTHON, ['test.py', endpoint], {
    cwd: HARNESS,
    env: { ...process.env, STRICT_LEVEL: String(strictLevel) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  await once(child, 'close')
  const ran = Number(/Ran (\d+) test/.exec(output)?.[1] ?? 0)
  const failures = Number(/failures=(\d+)/.exec(output)?.[1] ?? 0)
  const errors = Number(/errors=(\d+)/.exec(output)?.[1] ?? 0)
  const skipped = Number(/skipped=(\d+)/.exec(output)?.[1] ?? 0)
  return { ran, failed: failures + errors, skipped, output }
}

/** node:http's client is seen on 'http.client.request.created', which Node 20 does not publish. */

const APPS = [
  {
    app: 'http-service.mjs',
    client: 'http',
    skip: undefined,
  },
  { app: 'http-service.mjs', client: 'fetch', skip: undefined },
  { app: 'fastify-service.mjs', client: 'fetch', skip: undefined },
] as const

const missing = skipReason()
if (missing !== undefined) throw new Error(`the W3C harness cannot run: ${missing}`)

describe('the W3C trace-context harness', () => {
  for (const { app, client, skip } of APPS) {
    test(`passes on ${app} (${client} client) under the launcher, STRICT_LEVEL 1 and 2`, {
      timeout: 240_000,
      skip,
    }, async (t) => {
      const [port, opsPort] = [await freePort(), await freePort()]
      const child = spawn(process.execPath, ['--import', REGISTER, `${ROOT}test/fixtures/w3c/${app}`], {
        env: {
          ...process.env,
          PORT: String(port),
          SIGHTLINE_OPS_PORT: String(opsPort),
          SIGHTLINE_SERVICE_NAME: `w3c-${app}`,
          W3C_CLIENT: client,
          SIGHTLINE_SHUTDOWN_DELAY_MS: '0',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      })
      try {
        const endpoint = `http://127.0.0.1:${port}/`
        await waitFor(endpoint)
        const failures: string[] = []
        for (const level of [1, 2]) {
          const result = await runHarness(endpoint, level)
          const passed = result.ran - result.failed - result.skipped
          t.diagnostic(
            `STRICT_LEVEL ${level}: ${passed}/${result.ran - result.skipped} passed (${result.skipped} skipped)`,
          )
          assert.ok(result.ran > 0, result.output)
          if (result.failed > 0) failures.push(result.output)
        }
        assert.deepEqual(failures, [])
      } finally {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
    })
  }
})
