#!/usr/bin/env node
/**
 * @module cli/main
 * The `sightline` command: a tiny dispatcher to one module per subcommand, each loaded only when used.
 */

/** Subcommands: name → loader of a module whose `run(args)` resolves to an exit code (or keeps running). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  viewer: { summary: 'start the local viewer (OTLP receiver + web UI)', load: () => import('./viewer.js') },
  // run: the tracing module adds its zero-code launcher here (`sightline run app.js`).
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  return `usage: sightline <command> [options]\n\ncommands:\n${lines.join('\n')}\n`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name === undefined ? 1 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`sightline: unknown command "${name}"\n\n${usage()}`)
    return 1
  }
  return (await command.load()).run(args)
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`sightline: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
