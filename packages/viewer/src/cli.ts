/**
 * @module cli/viewer
 * `sightline viewer [--port N] [--host H] [--token T] [--max-traces N] [--max-logs N] [--max-metric-points N]
 * [--max-bytes N] [--slo slo.yaml]`:
 * starts the viewer and prints the URL to open and the endpoint to point apps at. Flags override
 * the `SIGHTLINE_VIEWER_*` environment variables. Stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { startViewer } from './server.js'

const HELP = `usage: sightline viewer [--port 9400] [--host 127.0.0.1] [--token T]
                        [--max-traces 10000] [--max-logs 10000] [--max-metric-points 10000]
                        [--max-bytes 268435456]   (estimated bytes the store may hold)
                        [--slo slo.yaml]          (a service's objectives: burn shown on /services)
env: SIGHTLINE_VIEWER_PORT, SIGHTLINE_VIEWER_HOST, SIGHTLINE_VIEWER_TOKEN, SIGHTLINE_VIEWER_MAX_*, SIGHTLINE_VIEWER_SLO
`

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'max-traces': { type: 'string' },
      'max-logs': { type: 'string' },
      'max-metric-points': { type: 'string' },
      'max-bytes': { type: 'string' },
      slo: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const limits = Object.fromEntries(
    Object.entries({
      maxTraces: integerFlag('max-traces', values['max-traces']),
      maxLogs: integerFlag('max-logs', values['max-logs']),
      maxMetricPoints: integerFlag('max-metric-points', values['max-metric-points']),
      maxBytes: integerFlag('max-bytes', values['max-bytes']),
    }).filter(([, value]) => value !== undefined),
  )
  const viewer = await startViewer({
    port: integerFlag('port', values.port),
    host: values.host,
    token: values.token,
    limits,
    slo: values.slo,
  })
  const url = viewer.url
  process.stdout.write(
    `Sightline viewer listening on ${url}\n` +
      `  open ${url}/services${viewer.options.token === undefined ? '' : '?token=<your token>'}\n` +
      `  point apps at it: OTEL_EXPORTER_OTLP_ENDPOINT=${url}\n`,
  )
  const stop = () => {
    void viewer.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return 0
}

/**
 * A flag's value as an integer, `undefined` when not given. Text that is not one is refused here,
 * quoted, rather than turned into NaN for the option check to report as "received NaN".
 */
function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new TypeError(`--${name} must be a whole number, received ${JSON.stringify(value)}`)
  return Number(value)
}
