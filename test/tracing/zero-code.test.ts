/**
 * The zero-code launcher on unmodified apps — Fastify, Express, node:http; ESM and CommonJS — and
 * through `sightline run`: request ids, access lines with route templates, RED metrics and health
 * on the ops port, and server spans exported over OTLP.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { findSamples, parseMetrics } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'
import { collectJsonLines } from '../helpers/process.js'
import { freePort } from '../helpers/server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = `${ROOT}packages/sightline/dist/src/register/index.js`
const CLI = `${ROOT}packages/sightline/dist/src/cli/main.js`

async function waitFor(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await (await fetch(url)).arrayBuffer()
      return
    } catch (error) {
      if (i > 150) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** Polls `find` until it returns something (spans and batched log lines arrive asynchronously). */
async function eventually<T>(find: () => T | undefined, timeoutMs = 5000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = find()
    if (found !== undefined || Date.now() > deadline) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

let receiver: OtlpReceiver
before(async () => {
  receiver = await new OtlpReceiver().start()
})
after(() => receiver.close())

const CASES = [
  ['fastify.mjs', '/users/:id'],
  ['fastify.cjs', '/users/:id'],
  ['express.mjs', '/users/:id'],
  ['express.cjs', '/users/:id'],
  ['http.mjs', '/users/:id'],
  ['http.cjs', '/users/:id'],
] as const

describe('node --import sightline/register', () => {
  for (const [app, route] of CASES) {
    test(`an unmodified ${app} gets every pillar`, async () => {
      const [port, opsPort] = [await freePort(), await freePort()]
      const child = spawn(process.execPath, ['--import', REGISTER, `${ROOT}test/fixtures/zero-code/${app}`], {
        env: {
          ...process.env,
          PORT: String(port),
          SIGHTLINE_OPS_PORT: String(opsPort),
          SIGHTLINE_SERVICE_NAME: `zero-${app}`,
          SIGHTLINE_ROUTES: app.startsWith('http') ? '/users/:id' : '',
          SIGHTLINE_SHUTDOWN_DELAY_MS: '0',
          LOG_FORMAT: 'json',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_TRACES_SAMPLER_ARG: '1',
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const lines = collectJsonLines(child)
      try {
        await waitFor(`http://127.0.0.1:${port}/users/0`)
        const response = await fetch(`http://127.0.0.1:${port}/users/42`, { headers: { 'x-request-id': `zc-${app}` } })
        assert.equal(response.status, 200)
        assert.equal(response.headers.get('x-request-id'), `zc-${app}`)
        const ops = `http://127.0.0.1:${opsPort}`
        assert.equal((await fetch(`${ops}/healthz`)).status, 200)
        assert.equal((await fetch(`${ops}/readyz`)).status, 200)
        const samples = parseMetrics(await (await fetch(`${ops}/metrics`)).text())
        assert.ok(
          findSamples(samples, 'http_server_request_duration_seconds_count', { http_route: route }).length > 0,
          `route label ${route}`,
        )
        const span = await eventually(() =>
          receiver.spans.find(
            (s) => s.resource['service.name'] === `zero-${app}` && s.attributes['url.path'] === '/users/42',
          ),
        )
        assert.equal(span?.name, `GET ${route}`)
        const access = await eventually(() =>
          lines.find((l) => l.request_id === `zc-${app}` && l.msg === 'request completed'),
        )
        assert.equal(access?.route, route)
        assert.equal(access?.trace_id, span?.traceId)
        if (app.startsWith('fastify')) {
          // Fastify's request.log (the app gave Fastify no logger) writes through Sightline's.
          const own = await eventually(() => lines.find((l) => l.msg === 'loading user' && l.user === '42'))
          assert.equal(own?.request_id, `zc-${app}`)
          assert.equal(own?.trace_id, span?.traceId)
          // A request its route's hook answers never reaches the handler; it keeps its template.
          const denied = await fetch(`http://127.0.0.1:${port}/private/7`, {
            headers: { 'x-request-id': `zc-${app}-401` },
          })
          assert.equal(denied.status, 401)
          const line = await eventually(() =>
            lines.find((l) => l.request_id === `zc-${app}-401` && l.msg === 'request completed'),
          )
          assert.equal(line?.route, '/private/:id')
        }
      } finally {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
    })
  }
})

describe('the launcher at start-up', () => {
  test('loads neither the main-thread span transport nor undici, and the SDK and pino as one bundled file each', async () => {
    // What start-up saves: the default worker export path keeps OpenTelemetry's HTTP transport and
    // otlp-transformer (~120 modules) out of the application's thread; the builtins loaded with
    // require() keep `import 'node:http'` from loading undici on Node 22+ (~30 ms); the vendor
    // bundles (scripts/bundle-vendor.mjs) replace ~120 files of the SDK packages and pino.
    const script = `
      import { createRequire } from 'node:module'
      const cache = Object.keys(createRequire(import.meta.url).cache)
      console.log(JSON.stringify({
        undici: process.moduleLoadList.some((name) => name.includes('undici')),
        transport: cache.filter((path) => /otlp-transformer|otlp-exporter-base/.test(path)).length,
        unbundled: cache.filter((path) => /@opentelemetry\\/(core|resources|sdk-trace-base|semantic-conventions|context-async-hooks)\\/|node_modules\\/pino\\//.test(path)).length,
        api: cache.some((path) => path.includes('@opentelemetry/api')),
      }))
      process.exit(0)`
    const child = spawn(process.execPath, ['--import', REGISTER, '--input-type=module', '-e', script], {
      env: {
        ...process.env,
        SIGHTLINE_OPS_PORT: '0',
        LOG_FORMAT: 'json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const lines = collectJsonLines(child)
    await once(child, 'close')
    const loaded = lines.find((line) => 'transport' in line)
    // The API is loaded from its package (so the check reads the right cache); the rest is not.
    assert.deepEqual(loaded, { undici: false, transport: 0, unbundled: 0, api: true })
  })

  test('starts an export worker whose script is one file that imports only Node builtins', () => {
    // The worker starts with the application; loading ~80 files of the OTLP transport, core and
    // the api in its thread cost ~100 ms of a one-core start (bench/startup.mjs).
    const script = readFileSync(`${ROOT}packages/sightline/dist/src/tracing/export-worker.js`, 'utf8')
    const specifiers = [
      ...script.matchAll(/\bfrom\s*["']([^"']+)["']|\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g),
    ].map((match) => match[1] ?? match[2])
    assert.ok(specifiers.includes('node:worker_threads'), specifiers.join(', '))
    const builtins = new Set(builtinModules)
    const foreign = specifiers.filter((name) => !name?.startsWith('node:') && !builtins.has(name as string))
    assert.deepEqual(foreign, [])
  })
})

describe('sightline run', () => {
  test('runs a command with the launcher preloaded and flags mapped to variables', async () => {
    const [port, opsPort] = [await freePort(), await freePort()]
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--service-name',
        'cli-app',
        '--ops-port',
        String(opsPort),
        '--',
        process.execPath,
        `${ROOT}test/fixtures/zero-code/express.mjs`,
      ],
      {
        env: { ...process.env, PORT: String(port), LOG_FORMAT: 'json', SIGHTLINE_SHUTDOWN_DELAY_MS: '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const lines = collectJsonLines(child)
    try {
      await waitFor(`http://127.0.0.1:${port}/users/0`)
      await (await fetch(`http://127.0.0.1:${port}/users/5`)).arrayBuffer()
      assert.equal((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status, 200)
      const access = await eventually(() => lines.find((l) => l.msg === 'request completed' && l.path === '/users/5'))
      assert.equal(access?.service, 'cli-app')
      assert.equal(access?.route, '/users/:id')
    } finally {
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit')
      assert.equal(code, 0, 'the child shut down cleanly and the CLI passed its exit code on')
    }
  })
})
