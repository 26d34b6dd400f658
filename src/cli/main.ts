#!/usr/bin/env node
/**
 * @module cli/main
 * The `sightline` command: `sightline run -- node app.js` (zero-code), `sightline help`.
 */
import { RUN_USAGE, run } from './run.js'

const USAGE = `sightline <command>

  run [flags] -- <command…>   run a Node app with every pillar, no code change
                              ${RUN_USAGE.replace('usage: ', '')}
  help                        this text`

const [command, ...args] = process.argv.slice(2)
try {
  if (command === 'run') run(args)
  else {
    console.log(USAGE)
    if (command !== 'help' && command !== undefined) process.exitCode = 2
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exitCode = 2
}
