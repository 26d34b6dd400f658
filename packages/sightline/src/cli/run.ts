/**
 * @module cli/run
 * `sightline run [flags] -- <command…>`: runs a Node command with the zero-code launcher preloaded,
 * flags mapped to the standard variables (like the brief's `opentelemetry-instrument`).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const FLAGS: Record<string, string> = {
  '--service-name': 'OTEL_SERVICE_NAME',
  '--traces-exporter': 'OTEL_TRACES_EXPORTER',
  '--metrics-exporter': 'OTEL_METRICS_EXPORTER',
  '--exporter-otlp-endpoint': 'OTEL_EXPORTER_OTLP_ENDPOINT',
  '--exporter-otlp-protocol': 'OTEL_EXPORTER_OTLP_PROTOCOL',
  '--sampler': 'OTEL_TRACES_SAMPLER',
  '--sampler-arg': 'OTEL_TRACES_SAMPLER_ARG',
  '--ops-port': 'SIGHTLINE_OPS_PORT',
  '--routes': 'SIGHTLINE_ROUTES',
  '--log-level': 'LOG_LEVEL',
}

export const RUN_USAGE = `usage: sightline run [${Object.keys(FLAGS).join(' V] [')} V] -- <command> [args…]`

export function parseRunArgs(args: string[]): { env: Record<string, string>; command: string[] } {
  const separator = args.indexOf('--')
  const flags = separator === -1 ? [] : args.slice(0, separator)
  const command = separator === -1 ? args : args.slice(separator + 1)
  const env: Record<string, string> = {}
  for (let i = 0; i < flags.length; i++) {
    const [name, inline] = (flags[i] as string).split('=', 2) as [string, string | undefined]
    const variable = FLAGS[name]
    if (variable === undefined) throw new TypeError(`unknown flag ${name}\n${RUN_USAGE}`)
    const value = inline ?? flags[++i]
    if (value === undefined) throw new TypeError(`flag ${name} needs a value\n${RUN_USAGE}`)
    env[variable] = value
  }
  if (command.length === 0) throw new TypeError(RUN_USAGE)
  return { env, command }
}

export function run(args: string[]): void {
  const { env, command } = parseRunArgs(args)
  const register = fileURLToPath(new URL('../register/index.js', import.meta.url))
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(register)}`.trim()
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ...env, NODE_OPTIONS: nodeOptions },
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)))
}
