/**
 * @module deploy/write
 * `npm run deploy:generate`: writes the generated files of deploy/ (see generate.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { generatedFiles } from './generate.js'

// deploy/dist/src/write.js → the repository root.
const root = join(dirname(new URL(import.meta.url).pathname), '..', '..', '..')
for (const [path, contents] of Object.entries(generatedFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), contents)
  console.log(`wrote ${path}`)
}
