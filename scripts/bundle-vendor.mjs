#!/usr/bin/env node
// Part of the build, after tsc: bundles each src/vendor module (third-party code Sightline loads at
// start-up) into the one file tsc emitted for it, so the launcher loads a file where it loaded
// dozens. @opentelemetry/api stays external (its globals are shared with the application's copy).
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const sourceDir = join(root, 'src', 'vendor')
const outDir = join(root, 'dist', 'src', 'vendor')

// pino is CommonJS: a bundle in ESM format needs a real `require` for the builtins it loads.
const banner =
  "import { createRequire as __sightlineRequire } from 'node:module'\nconst require = __sightlineRequire(import.meta.url)"

const entries = readdirSync(sourceDir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
await Promise.all(
  entries.map((name) =>
    build({
      entryPoints: [join(sourceDir, name)],
      outfile: join(outDir, name.replace(/\.ts$/, '.js')),
      allowOverwrite: true,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // The packages' ESM builds, which tree-shake; CommonJS where that is all a package ships.
      mainFields: ['module', 'main'],
      external: ['@opentelemetry/api'],
      banner: { js: banner },
      legalComments: 'none',
      sourcemap: false,
      logLevel: 'warning',
    }),
  ),
)
// tsc's source maps describe the re-export file, not the bundle that replaced it.
for (const name of entries) rmSync(join(outDir, name.replace(/\.ts$/, '.js.map')), { force: true })
