/**
 * @module viewer/server
 * The viewer: one `node:http` server on one port answering the OTLP receiver, the JSON API, the
 * front end's assets and the page URLs. Security headers on every response; a token on every
 * request when one is configured (and one must be, beyond loopback).
 */
import { timingSafeEqual } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { handleApi } from './api.js'
import { decodeComponent } from './decode.js'
import { GrpcReceiver } from './grpc.js'
import { Ingest } from './ingest.js'
import { type ResolvedViewerOptions, resolveViewerOptions, type ViewerOptions } from './options.js'
import { CONTENT_SECURITY_POLICY, SHELL_HTML, STYLESHEET } from './page.js'
import { OTLP_PATHS, receive } from './receiver.js'
import { LimitReporter } from './report.js'
import { Scraper } from './scrape.js'
import { SLO_BASIS, SloTracker } from './slo.js'
import { Store } from './store.js'

const TOKEN_COOKIE = 'sightline_viewer_token'
const PAGE_PATH = /^\/(services|traces|logs|metrics|errors)(\/[0-9a-fA-F]{1,64})?\/?$/
const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
}

/** The front end's compiled modules, read once: `dist/src/viewer/ui/*.js` beside this file. */
function loadAssets(): Map<string, { type: string; body: string | Buffer }> {
  const assets = new Map<string, { type: string; body: string | Buffer }>()
  assets.set('/assets/viewer.css', { type: 'text/css; charset=utf-8', body: STYLESHEET })
  const dir = new URL('./ui/', import.meta.url)
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.js') || name.endsWith('.test.js')) continue
    assets.set(`/assets/${name}`, { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL(name, dir)) })
  }
  return assets
}

/**
 * @example
 * const viewer = new Viewer({ port: 0 }); const url = await viewer.listen(); // … await viewer.close()
 */
export class Viewer {
  readonly options: ResolvedViewerOptions
  readonly store: Store
  readonly server: Server
  private readonly assets = loadAssets()
  private readonly token: Buffer | undefined
  private readonly reporter: LimitReporter
  private readonly ingest: Ingest
  /** Declared objectives and their burn from received spans (`--slo`); none without a file. */
  readonly slo: SloTracker
  /** Set with `grpcPort`: the OTLP/gRPC receiver, feeding the same ingest queue. */
  readonly grpc: GrpcReceiver | undefined
  /** Set with `scrape`: reads the Prometheus endpoint into the store. */
  readonly scraper: Scraper | undefined

  constructor(options: ViewerOptions = {}) {
    this.options = resolveViewerOptions(options)
    this.store = new Store(this.options.limits)
    this.reporter = new LimitReporter(this.store.counters)
    this.slo = new SloTracker(this.options.objectives)
    this.ingest = new Ingest(
      this.store,
      () => this.reporter.check(),
      undefined,
      (spans) => this.slo.record(spans, Date.now()),
    )
    this.token = this.options.token === undefined ? undefined : Buffer.from(this.options.token)
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.handle(req, res))
    this.grpc =
      this.options.grpcPort === undefined
        ? undefined
        : new GrpcReceiver(this.ingest, this.token, (error) => this.reportFailure(error))
    this.scraper =
      this.options.scrape === undefined
        ? undefined
        : new Scraper(this.options.scrape, this.options.scrapeIntervalMs, this.store)
  }

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    if (this.grpc !== undefined) {
      try {
        await this.grpc.listen(this.options.grpcPort!, this.options.host)
      } catch (error) {
        await new Promise((resolve) => this.server.close(resolve))
        throw error
      }
    }
    this.scraper?.start()
    return this.url
  }

  /** The OTLP/gRPC endpoint (`http://host:port`), `undefined` when that receiver is off. */
  get grpcUrl(): string | undefined {
    return this.grpc?.url
  }

  get url(): string {
    const address = this.server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}`
  }

  async close(): Promise<void> {
    this.reporter.close()
    await this.scraper?.close()
    await this.grpc?.close()
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // Nothing a request sends may end the process (under `npm start` the viewer shares it with
    // the launcher of both services): an unexpected error is a 500, reported at most once a minute.
    try {
      this.respond(req, res)
    } catch (error) {
      this.reportFailure(error)
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error')
      else res.destroy()
    }
  }

  private lastFailureReport = Number.NEGATIVE_INFINITY
  /** Requests that failed inside the viewer. */
  failedRequests = 0

  private reportFailure(error: unknown): void {
    this.failedRequests++
    const now = Date.now()
    if (now - this.lastFailureReport < 60_000) return
    this.lastFailureReport = now
    console.error(`sightline viewer: a request failed (${this.failedRequests} so far): ${String(error)}`)
  }

  /** Answers one request; returns true once a response is under way (the value only ends the branches). */
  private respond(req: IncomingMessage, res: ServerResponse): boolean {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://viewer')
    } catch {
      return send(res, 400, 'text/plain', 'bad request')
    }
    if (this.token !== undefined && !this.authorised(req, url, res)) return true
    const signal = OTLP_PATHS[url.pathname as keyof typeof OTLP_PATHS]
    if (signal !== undefined) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only')
      void receive(signal, req, res, this.ingest, (error) => this.reportFailure(error))
      return true
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only')
    if (url.pathname === '/api/slo') {
      res.setHeader('cache-control', 'no-store')
      const now = Date.now()
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ now, basis: SLO_BASIS, objectives: this.slo.summary(now) }),
      )
    }
    if (url.pathname.startsWith('/api/')) {
      const answer = handleApi(this.store, url)
      if (answer === undefined) return send(res, 404, 'application/json', '{"message":"not found"}')
      res.setHeader('cache-control', 'no-store')
      return send(res, answer.status, 'application/json', JSON.stringify(answer.body))
    }
    const asset = this.assets.get(url.pathname)
    if (asset !== undefined) return send(res, 200, asset.type, asset.body)
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/services' })
      res.end()
      return true
    }
    if (PAGE_PATH.test(url.pathname)) return send(res, 200, 'text/html; charset=utf-8', SHELL_HTML)
    return send(res, 404, 'text/plain', 'not found')
  }

  /** Bearer header (exporters, scripts), cookie (the browser), or `?token=` once to set the cookie. */
  private authorised(req: IncomingMessage, url: URL, res: ServerResponse): boolean {
    const header = req.headers.authorization
    if (header?.startsWith('Bearer ') && this.matches(header.slice(7))) return true
    const cookie = /(?:^|;\s*)sightline_viewer_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
    const token = cookie === undefined ? undefined : decodeComponent(cookie)
    if (token !== undefined && this.matches(token)) return true
    const query = url.searchParams.get('token')
    if (query !== null && this.matches(query) && req.method === 'GET') {
      url.searchParams.delete('token')
      res.writeHead(302, {
        location: url.pathname + url.search,
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(query)}; HttpOnly; SameSite=Strict; Path=/`,
      })
      res.end()
      return false
    }
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="sightline-viewer"' })
    res.end('token required: send "Authorization: Bearer <token>" or open the URL with ?token=<token> once')
    return false
  }

  private matches(candidate: string): boolean {
    const given = Buffer.from(candidate)
    return given.length === this.token!.length && timingSafeEqual(given, this.token!)
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): true {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
  return true
}

/**
 * Builds the viewer and starts listening.
 * @example const viewer = await startViewer({ port: 9400 }); console.log(viewer.url)
 */
export async function startViewer(options: ViewerOptions = {}): Promise<Viewer> {
  const viewer = new Viewer(options)
  await viewer.listen()
  return viewer
}
