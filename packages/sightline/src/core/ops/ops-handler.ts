/**
 * @module ops-handler
 * `/healthz`, `/readyz` and `/metrics`, on the application port (the brief's layout) or an ops port.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CHAR_QUERY, HEADER_REQUEST_ID } from '../constants.js'
import type { Health } from '../health/health.js'
import { CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_TEXT, type Registry } from '../metrics/registry.js'
import type { OpsResponder } from '../pipeline/pipeline.js'
import { isSafeRequestId } from '../pipeline/request-id.js'

export interface OpsPaths {
  health: string
  ready: string
  metrics: string
}

/** What a scrape answers: the exposition, or (a cluster worker whose primary is silent) an error status. */
export interface MetricsReply {
  status?: number
  body: string
  headers?: Record<string, string>
}

export interface OpsHandlerOptions {
  paths: OpsPaths
  /** Makes the `X-Request-ID` an ops response carries when the caller sent no safe one. */
  nextRequestId: () => string
  health: Health
  registry: Registry | undefined
  /** Renders `/metrics` instead of `registry.render` (a cluster worker asks its primary). */
  render?: (openMetrics: boolean) => Promise<MetricsReply>
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined
  report: (error: unknown, where: string) => void
}

type Endpoint = 'health' | 'ready' | 'metrics'

const JSON_TYPE = 'application/json; charset=utf-8'

export class OpsHandler implements OpsResponder {
  /**
   * The ops paths and their endpoints, side by side. Every application request is checked against
   * them, so they are compared, not hashed: a URL of another length is ruled out by one length
   * check, where a Map lookup hashes the URL (a new string per request, ~300 instructions under
   * callgrind) and a search for its query string scans it.
   */
  private readonly paths: string[] = []
  private readonly kinds: Endpoint[] = []
  /**
   * The character after the leading slash of every ops path, as flags by char code: an application
   * URL (`/users/42`) is ruled out by one lookup before the paths are compared. `undefined` when
   * a path is too short or not ASCII there to be told this way.
   */
  private readonly second: Uint8Array | undefined
  private readonly options: OpsHandlerOptions
  private readonly token: Buffer | undefined

  constructor(options: OpsHandlerOptions) {
    this.options = options
    this.token = options.metricsToken === undefined ? undefined : Buffer.from(`Bearer ${options.metricsToken}`)
    for (const [endpoint, path] of Object.entries(options.paths) as [Endpoint, string][]) {
      if (endpoint === 'metrics' && options.registry === undefined) continue
      // The brief's Django routes end in a slash; accept both spellings.
      for (const spelling of [path, path.endsWith('/') ? path.slice(0, -1) : `${path}/`]) {
        this.paths.push(spelling)
        this.kinds.push(endpoint)
      }
    }
    const second = new Uint8Array(128)
    let usable = true
    for (const path of this.paths) {
      const code = path.charCodeAt(1)
      if (path.length < 2 || code >= 128) usable = false
      else second[code] = 1
    }
    this.second = usable ? second : undefined
  }

  /** The endpoint `url` asks for: an ops path, alone or followed by a query string. */
  private match(url: string): Endpoint | undefined {
    const second = this.second
    if (second !== undefined && second[url.charCodeAt(1)] !== 1) return undefined
    const paths = this.paths
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string
      const length = path.length
      if (
        url.length === length
          ? url === path
          : url.length > length && url.charCodeAt(length) === CHAR_QUERY && url.startsWith(path)
      ) {
        return this.kinds[i]
      }
    }
    return undefined
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const endpoint = this.match(req.url ?? '/')
    if (endpoint === undefined) return false
    this.echoRequestId(req, res)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, JSON_TYPE, '{"error":"method not allowed"}', { allow: 'GET, HEAD' })
      return true
    }
    if (endpoint === 'health') {
      send(res, 200, JSON_TYPE, JSON.stringify(this.options.health.liveness()))
    } else if (endpoint === 'ready') {
      this.options.health.readiness().then(
        (report) => {
          const ok = report.status === 'ready' || report.status === 'degraded'
          send(res, ok ? 200 : 503, JSON_TYPE, JSON.stringify(report))
        },
        (error) => this.fail(res, error, 'readiness'),
      )
    } else {
      this.serveMetrics(req, res)
    }
    return true
  }

  /** A request handler for a separate ops server. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.handle(req, res)) return
    this.echoRequestId(req, res)
    send(res, 404, JSON_TYPE, '{"error":"not found"}')
  }

  /**
   * `X-Request-ID` on ops responses too, as on every response: a probe's or a scraper's id when
   * safe, a new one otherwise. Ops requests are not logged or traced; the id lets a caller quote one.
   */
  private echoRequestId(req: IncomingMessage, res: ServerResponse): void {
    const incoming = req.headers[HEADER_REQUEST_ID]
    res.setHeader(HEADER_REQUEST_ID, isSafeRequestId(incoming) ? incoming : this.options.nextRequestId())
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    const registry = this.options.registry as Registry
    if (this.token !== undefined && !this.authorized(req.headers.authorization)) {
      send(res, 401, JSON_TYPE, '{"error":"a bearer token is required"}', { 'www-authenticate': 'Bearer' })
      return
    }
    const openMetrics = wantsOpenMetrics(req.headers.accept)
    const type = openMetrics ? CONTENT_TYPE_OPENMETRICS : CONTENT_TYPE_TEXT
    const render = this.options.render
    if (render === undefined) {
      registry.render(openMetrics).then(
        (body) => send(res, 200, type, body),
        (error) => this.fail(res, error, 'metrics'),
      )
      return
    }
    render(openMetrics).then(
      (reply) =>
        reply.status === undefined || reply.status === 200
          ? send(res, 200, type, reply.body, reply.headers)
          : send(res, reply.status, JSON_TYPE, reply.body, reply.headers),
      (error) => this.fail(res, error, 'metrics'),
    )
  }

  private authorized(header: string | undefined): boolean {
    const token = this.token as Buffer
    if (header === undefined) return false
    const given = Buffer.from(header)
    return given.length === token.length && timingSafeEqual(given, token)
  }

  private fail(res: ServerResponse, error: unknown, where: string): void {
    this.options.report(error, where)
    if (!res.headersSent) send(res, 500, JSON_TYPE, '{"error":"internal error"}')
  }
}

/** OpenMetrics only when the scraper asks for it, as Prometheus does with exemplar storage on. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes('application/openmetrics-text') === true
}

function send(res: ServerResponse, status: number, type: string, body: string, headers?: Record<string, string>): void {
  res.statusCode = status
  res.setHeader('content-type', type)
  res.setHeader('cache-control', 'no-store')
  if (headers !== undefined) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(res.req?.method === 'HEAD' ? undefined : body)
}
