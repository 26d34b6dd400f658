#!/usr/bin/env node
// Part of the build, after tsc: bundles each src/vendor module (third-party code Sightline loads at
// start-up) into the one file tsc emitted for it, so the launcher loads a file where it loaded
// dozens. @opentelemetry/api stays external (its globals are shared with the application's copy).
// The export worker's script is bundled whole, as its thread starts with the application.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname // packages/sightline
const sourceDir = join(root, 'src', 'vendor')
const outDir = join(root, 'dist', 'src', 'vendor')

// pino is CommonJS: a bundle in ESM format needs a real `require` for the builtins it loads.
const banner =
  "import { createRequire as __sightlineRequire } from 'node:module'\nconst require = __sightlineRequire(import.meta.url)"

/**
 * Bundles `source` into `outfile` (the file tsc emitted for it), `external` left to be imported.
 * The file is replaced only when its content changes, and then by a rename: a process loading it
 * meanwhile (a test, `npm start` building while another runs) never reads half a file.
 */
async function bundle(source, outfile, external) {
  const result = await build({
    entryPoints: [source],
    outfile,
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The packages' ESM builds, which tree-shake; CommonJS where that is all a package ships.
    mainFields: ['module', 'main'],
    external,
    banner: { js: banner },
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'warning',
    metafile: true,
  })
  for (const { path, contents } of result.outputFiles) {
    if (existsSync(path) && Buffer.compare(readFileSync(path), contents) === 0) continue
    const temporary = `${path}.${process.pid}.tmp`
    writeFileSync(temporary, contents)
    renameSync(temporary, path)
  }
  return result
}

const entries = readdirSync(sourceDir)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => ({ source: join(sourceDir, name), outfile: join(outDir, name.replace(/\.ts$/, '.js')) }))
// The OTLP export worker runs in an isolate of its own, where no application shares the api's
// globals: everything it loads, the api included, is one file (~80 files before).
const worker = {
  source: join(root, 'src', 'tracing', 'export-worker.ts'),
  outfile: join(root, 'dist', 'src', 'tracing', 'export-worker.js'),
}
const results = await Promise.all([
  ...entries.map(({ source, outfile }) => bundle(source, outfile, ['@opentelemetry/api'])),
  bundle(worker.source, worker.outfile, []),
])
// tsc's source maps describe the files it emitted, not the bundles that replaced them.
for (const { outfile } of [...entries, worker]) rmSync(`${outfile}.map`, { force: true })

// The bundles carry third-party code: its licences ship beside it, in THIRD-PARTY-NOTICES.md.
const packages = new Map()
for (const { metafile } of results) {
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input)
    if (match && !packages.has(match[2])) packages.set(match[2], resolve(root, match[1]))
  }
}
const notices = [
  '# Third-party notices',
  '',
  'The files in dist/src/vendor and dist/src/tracing/export-worker.js bundle the packages below.',
  '',
]
for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  notices.push(`## ${name} ${manifest.version} (${manifest.license})`, '')
  const file = readdirSync(dir).find((entry) => /^licen[cs]e/i.test(entry))
  if (file && existsSync(join(dir, file))) notices.push('```', readFileSync(join(dir, file), 'utf8').trim(), '```', '')
}
writeFileSync(join(root, 'THIRD-PARTY-NOTICES.md'), `${notices.join('\n')}\n`)
