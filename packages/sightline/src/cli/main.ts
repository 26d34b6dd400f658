#!/usr/bin/env node
/**
 * @module cli/main
 * The `sightline` command: `sightline run -- node app.js` (zero-code), `sightline viewer` (the local
 * observability UI, docs/viewer.md), `sightline help`.
 */
import { importPeer } from '../core/errors.js'
import { RUN_USAGE, run } from './run.js'

const USAGE = `sightline <command>

  run [flags] -- <command…>   run a Node app with every pillar, no code change
                              ${RUN_USAGE.replace('usage: ', '')}
  viewer [--port 9400] [--host H] [--token T]
                              the local viewer: OTLP receiver, traces, logs, golden signals
  help                        this text`

const [command, ...args] = process.argv.slice(2)
try {
  if (command === 'run') run(args)
  else if (command === 'viewer') {
    // The viewer is its own package (@sightline/viewer), an optional peer: running an app never
    // installs or loads it.
    importPeer<{ run(args: string[]): Promise<number> }>('@sightline/viewer/cli', '`sightline viewer`')
      .then((viewer) => viewer.run(args))
      .catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error))
        process.exitCode = 2
      })
  } else {
    console.log(USAGE)
    if (command !== 'help' && command !== undefined) process.exitCode = 2
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exitCode = 2
}
