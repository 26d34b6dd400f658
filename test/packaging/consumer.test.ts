/**
 * @module test/packaging/consumer
 * Sightline as a user installs it: the library packed with `npm pack`, installed into an empty
 * project beside nothing but `@opentelemetry/api`. Its node_modules stays within the size budget
 * with none of the examples' dependencies; a bare node:http app on it echoes request ids and serves
 * /metrics, as ESM and as CommonJS (require(esm)); a strict `module: nodenext` consumer type-checks
 * against the published declarations with skipLibCheck off; publint and arethetypeswrong pass.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const LIBRARY = join(ROOT, 'packages', 'sightline')
const VIEWER = join(ROOT, 'packages', 'viewer')
const BIN = join(ROOT, 'node_modules', '.bin')
/** The budget for a bare node:http app's node_modules (issue 24): library, api, nothing else. */
const BUDGET_BYTES = 20 * 1024 * 1024
const EXAMPLE_ONLY = [
  '@electric-sql/pglite',
  'pg',
  'ioredis',
  'redis',
  'mysql2',
  'amqplib',
  '@nats-io/transport-node',
  'nats',
  'pino-pretty',
  '@grpc/grpc-js',
  'fastify',
  'express',
  'protobufjs',
]

interface PackResult {
  filename: string
  files: { path: string }[]
}

function pack(dir: string, destination: string): PackResult {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' })
  return (JSON.parse(out) as PackResult[])[0]!
}

function bytesUnder(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) return 0
  if (!stat.isDirectory()) return stat.size
  let total = 0
  for (const name of readdirSync(path)) total += bytesUnder(join(path, name))
  return total
}

async function runApp(cwd: string, file: string): Promise<{ echoed: string | null; metrics: string; ids: string }> {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, PORT: '0' }, stdio: 'pipe' })
  try {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk))
    while (!/listening on (\d+)/.test(out)) {
      if (child.exitCode !== null) throw new Error(`the app exited: ${out}`)
      await once(child.stdout, 'data')
    }
    const port = /listening on (\d+)/.exec(out)![1]
    const reply = await fetch(`http://127.0.0.1:${port}/hello`, { headers: { 'x-request-id': 'consumer-check-1' } })
    await reply.text()
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    return { echoed: reply.headers.get('x-request-id'), metrics, ids: out }
  } finally {
    // Shutdown is tested elsewhere (test/foundation/shutdown.test.ts); its drain delay is not waited for here.
    if (child.exitCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  }
}

describe('the packed library in an empty project', () => {
  const work = mkdtempSync(join(tmpdir(), 'sightline-consumer-'))
  const project = join(work, 'app')
  let library: PackResult
  let viewer: PackResult

  before(() => {
    library = pack(LIBRARY, work)
    viewer = pack(VIEWER, work)
    mkdirSync(project)
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
    )
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        join(work, library.filename),
        '@opentelemetry/api@^1.9.0',
      ],
      { cwd: project, stdio: 'inherit' },
    )
  })
  after(() => rmSync(work, { recursive: true, force: true }))

  test('the tarballs hold no tests, fixtures or build info, and carry their licences', () => {
    for (const { files } of [library, viewer]) {
      const paths = files.map((file) => file.path)
      assert.deepEqual(
        paths.filter((path) => /\.test\.|fixture|tsbuildinfo|(^|\/)test\//.test(path)),
        [],
      )
      assert.ok(paths.includes('LICENSE'))
      assert.ok(paths.includes('README.md'))
    }
    assert.ok(
      library.files.some((file) => file.path === 'THIRD-PARTY-NOTICES.md'),
      'the bundles name what they carry',
    )
  })

  test(`node_modules stays within ${BUDGET_BYTES / 1024 / 1024} MB, with none of the examples' dependencies`, () => {
    const modules = join(project, 'node_modules')
    const bytes = bytesUnder(modules)
    console.log(`consumer node_modules: ${(bytes / 1024 / 1024).toFixed(2)} MB`)
    assert.ok(bytes <= BUDGET_BYTES, `${bytes} bytes`)
    const installed = EXAMPLE_ONLY.filter((name) => statSync(join(modules, name), { throwIfNoEntry: false }))
    assert.deepEqual(installed, [])
  })

  test('a bare node:http app (ESM) echoes request ids and serves /metrics', async () => {
    writeFileSync(
      join(project, 'app.mjs'),
      `import { createServer } from 'node:http'
import { createSightline } from 'sightline'
const sightline = createSightline({ service: 'consumer' })
const server = createServer(sightline.wrap((req, res) => res.end('hello')))
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + server.address().port))
`,
    )
    const { echoed, metrics } = await runApp(project, 'app.mjs')
    assert.equal(echoed, 'consumer-check-1')
    assert.match(metrics, /^http_server_request_duration_seconds_count\{.*http_route="unmatched".*\} 1$/m)
  })

  test('the same app in CommonJS, through require(esm)', async () => {
    writeFileSync(
      join(project, 'app.cjs'),
      `const { createServer } = require('node:http')
const { createSightline } = require('sightline')
const sightline = createSightline({ service: 'consumer-cjs' })
const server = createServer(sightline.wrap((req, res) => res.end('hello')))
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + server.address().port))
`,
    )
    const { echoed } = await runApp(project, 'app.cjs')
    assert.equal(echoed, 'consumer-check-1')
  })

  test('a strict nodenext consumer type-checks, ESM and CommonJS, skipLibCheck off', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        include: ['*.mts', '*.cts'],
      }),
    )
    const source = (
      kind: string,
    ) => `import { createSightline, Sightline, SightlineError, type SightlineOptions } from 'sightline'
import { wrapListener } from 'sightline/http'
import { withSpan } from 'sightline/tracing'
import { instrumentMysql2 } from 'sightline/mysql2'
import { instrumentAmqplib } from 'sightline/amqplib'
import { instrumentNats } from 'sightline/nats'
import { METRIC_HTTP_SERVER_DURATION, METRIC_MESSAGING_SENT } from 'sightline/names'
import { instrumentNodeRedis } from 'sightline/node-redis'
const options: SightlineOptions = { service: '${kind}' }
const sightline: Sightline = createSightline(options)
const listener = wrapListener((_req, res) => res.end(), { sightline })
const name: string = METRIC_HTTP_SERVER_DURATION
const sent: string = METRIC_MESSAGING_SENT
// The adapters' and tracing's seams are not part of the published types.
// @ts-expect-error
sightline.pipeline()
// @ts-expect-error
sightline.setTracing(undefined)
export const checked = [
  listener,
  name,
  sent,
  SightlineError,
  withSpan,
  instrumentMysql2,
  instrumentNodeRedis,
  instrumentAmqplib,
  instrumentNats,
] as const
`
    writeFileSync(join(project, 'esm.mts'), source('esm'))
    writeFileSync(join(project, 'cjs.cts'), source('cjs'))
    // @types/node from the repository: the consumer's own would be the same package.
    execFileSync(
      join(BIN, 'tsc'),
      ['-p', 'tsconfig.json', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node'],
      {
        cwd: project,
        stdio: 'inherit',
      },
    )
  })
})

describe('publish checks', () => {
  for (const dir of [LIBRARY, VIEWER]) {
    test(`publint and arethetypeswrong pass for ${dir.slice(ROOT.length)}`, () => {
      execFileSync(join(BIN, 'publint'), ['--strict'], { cwd: dir, stdio: 'inherit' })
      // ESM only, by choice: CommonJS consumers load it through require(esm) (Node ≥ 20.19).
      execFileSync(join(BIN, 'attw'), ['--pack', '.', '--profile', 'esm-only'], { cwd: dir, stdio: 'inherit' })
    })
  }
})
