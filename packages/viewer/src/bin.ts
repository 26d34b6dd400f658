#!/usr/bin/env node
/**
 * @module bin
 * `sightline-viewer [flags]` (and `sightline viewer`, which loads ./cli.js): see cli.ts.
 */
import { run } from './cli.js'

run(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exitCode = 2
})
