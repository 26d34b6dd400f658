/**
 * @module sightline
 * One Sightline instance per application: the logger, the metrics registry, health checks, the ops
 * endpoints and the shutdown sequence, plus the pipeline each framework adapter plugs into.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { otlpLogExporterFromEnv } from '../logging-otlp/from-env.js'
import { OtlpLogTee } from '../logging-otlp/otlp-log-tee.js'
import { METER_SCOPE, OtlpMetricExporter } from '../metrics-otlp/exporter.js'
import type { OtlpAttribute } from '../metrics-otlp/model.js'
import { otlpAttributesOf, type ResourceAttributes, resourceFromEnv } from '../metrics-otlp/resource.js'
import { http } from './builtins.js'
import {
  METRIC_LOG_LINES_DROPPED,
  METRIC_LOG_RECORDS_DROPPED,
  METRIC_METRIC_POINTS_DROPPED,
  METRIC_METRIC_POINTS_EXPORTED,
} from './constants.js'
import { ErrorGroups } from './error-groups/error-groups.js'
import { ERROR_CODES } from './errors.js'
import { type CheckFunction, type CheckOptions, Health } from './health/health.js'
import { installCrashCapture } from './lifecycle/crash.js'
import { type Drainable, drainableServer, Shutdown } from './lifecycle/shutdown.js'
import { AccessLog } from './logging/access-log.js'
import { createLogger, DEFAULT_REDACT, type SpanFieldsProvider } from './logging/logger.js'
import { ProcessAggregation } from './metrics/aggregation/processes.js'
import type { Counter } from './metrics/counter.js'
import { HttpMetrics } from './metrics/http-metrics.js'
import { Registry } from './metrics/registry.js'
import { type RuntimeMetrics, startRuntimeMetrics } from './metrics/runtime.js'
import { OpsHandler } from './ops/ops-handler.js'
import { type ResolvedOptions, resolveOptions, type SightlineOptions } from './options.js'
import { currentContext, errorContext, storage } from './pipeline/context.js'
import { Pipeline, type PipelineDeps, type RouteResolver, type TracingHooks } from './pipeline/pipeline.js'
import { RefusedRequests } from './pipeline/refused.js'
import { createRequestIdGenerator } from './pipeline/request-id.js'
import { RouteTable } from './pipeline/routes.js'

const kWrapped = Symbol('sightline.wrapped')
/** An internal failure is told at most this often per place. */
const REPORT_INTERVAL_MS = 60_000

/** Something flushed at shutdown after the servers drained (span processors, exporters). */
export interface Flushable {
  forceFlush?(): Promise<void>
  shutdown?(): Promise<void>
}

export class Sightline {
  readonly options: ResolvedOptions
  /** The application's logger: every line written during a request carries its `request_id`. */
  readonly logger: Logger
  /** The metrics registry: `counter`, `gauge`, `histogram` (get-or-create). */
  readonly metrics: Registry
  readonly health: Health
  private readonly setSpanFields: (provider: SpanFieldsProvider | undefined) => void
  private readonly flushLogs: () => void
  private readonly drainLogs: () => Promise<void>
  private logLinesDropped: Counter | undefined
  private logRecordsDropped: Counter | undefined
  private readonly withoutContext: (write: () => void) => void
  private readonly shutdownManager: Shutdown
  private readonly deps: PipelineDeps
  private readonly routes = new RouteTable()
  private readonly runtime: RuntimeMetrics | undefined
  private readonly ops: OpsHandler
  private readonly refused: RefusedRequests | undefined
  private readonly flushables: Flushable[] = []
  private readonly reported = new Map<string, { at: number; untold: number }>()
  private opsServer: Server | undefined
  /** Workers summed here, or (a cluster worker) this process reported to its primary. */
  private readonly processes: ProcessAggregation | undefined
  /** The OTLP metrics push, when `metricsExporter` has `otlp`. */
  private readonly metricsPush: OtlpMetricExporter | undefined
  /** The resource the push sends: from the environment, until tracing hands over its own. */
  private resource: Promise<readonly OtlpAttribute[]> | readonly OtlpAttribute[] | undefined
  private readonly uninstallCrash: (() => void) | undefined

  constructor(options: SightlineOptions = {}) {
    const resolved = resolveOptions(options)
    this.options = resolved
    const created = createLogger({
      level: resolved.logLevel,
      service: resolved.service,
      pretty: resolved.logFormat === 'pretty',
      redact: [...DEFAULT_REDACT, ...resolved.redact],
      destination: resolved.logDestination,
      onDrop: (lines) => this.logLinesDropped?.inc(lines),
      // Log export (OTLP when the standard env vars name an endpoint): a tee around the destination.
      exporter:
        resolved.logExporter === false
          ? undefined
          : (resolved.logExporter ??
            otlpLogExporterFromEnv({
              service: resolved.service,
              onError: (error, fields) =>
                this.internal('warn', { err: error, ...fields }, 'log export failing; the records are dropped'),
              onRecovered: (fields) => this.internal('info', fields, 'log export recovered'),
              onDropped: (reason, records) => this.logRecordsDropped?.inc({ reason }, records),
            })),
    })
    this.logger = created.logger
    this.withoutContext = created.withoutContext
    this.setSpanFields = created.setSpanFields
    const exporting = created.stream as { forceFlush?: () => Promise<void> }
    if (typeof exporting.forceFlush === 'function') this.flushables.push({ forceFlush: () => exporting.forceFlush!() })
    this.flushLogs = created.flush
    this.drainLogs = created.drain
    this.metrics = new Registry({
      maxSeriesPerMetric: resolved.maxSeriesPerMetric,
      onCollectError: (error, metric) => this.report(error, `collect ${metric}`),
    })
    this.logLinesDropped = this.metrics.counter({
      name: METRIC_LOG_LINES_DROPPED,
      help: 'Log lines dropped because stdout was not keeping up (8 MB waiting) or was closed.',
    })
    this.logRecordsDropped = this.metrics.counter({
      name: METRIC_LOG_RECORDS_DROPPED,
      help: 'Log records not exported over OTLP (the lines still reach stdout): queue full, export failed, or not a JSON line.',
      labelNames: ['reason'],
    })
    this.health = new Health(this.metrics, {
      cacheMs: resolved.readyCacheMs,
      exposeErrors: resolved.exposeCheckErrors,
      onChange: (check, result) => {
        if (result.status === 'ok') this.logger.info({ check, ...result }, 'readiness check passing')
        else this.logger.warn({ check, ...result }, 'readiness check failing')
      },
    })
    this.runtime = resolved.metrics && resolved.runtimeMetrics ? startRuntimeMetrics(this.metrics) : undefined
    const httpMetrics = resolved.metrics ? new HttpMetrics(this.metrics, resolved.httpBuckets) : undefined
    this.refused = resolved.metrics ? new RefusedRequests(this.metrics) : undefined
    const errors = new ErrorGroups(resolved.metrics ? this.metrics : undefined)
    this.processes =
      resolved.metrics && resolved.aggregateWorkers
        ? new ProcessAggregation({
            registry: this.metrics,
            health: this.health,
            timeoutMs: resolved.workerScrapeTimeoutMs,
            report: (error, where) => this.report(error, where),
            warn: (fields, msg) => this.internal('warn', fields, msg),
          })
        : undefined
    const reporting = this.processes?.reporter !== undefined
    // One generator for the application's requests and the ops endpoints' (ids stay distinct).
    const nextRequestId = createRequestIdGenerator()
    this.ops = new OpsHandler({
      paths: { health: resolved.healthPath, ready: resolved.readyPath, metrics: resolved.metricsPath },
      nextRequestId,
      health: this.health,
      registry: resolved.metrics && resolved.metricsExporters.includes('prometheus') ? this.metrics : undefined,
      render: reporting ? this.processes?.render : undefined,
      metricsToken: resolved.metricsToken,
      report: (error, where) => this.report(error, where),
    })
    this.metricsPush = resolved.metricsPush === undefined ? undefined : this.startMetricsPush(resolved)
    this.shutdownManager = new Shutdown(resolved.shutdown, {
      logger: this.logger,
      markShuttingDown: () => this.health.markShuttingDown(),
      // After the shutdown's flush (which pushed the last metrics) nothing is served any more.
      flush: () => this.flush().finally(() => this.metricsPush?.stop()),
    })
    this.deps = {
      nextRequestId,
      routes: this.routes,
      metrics: httpMetrics,
      active: httpMetrics?.active,
      accessLog: resolved.accessLog
        ? new AccessLog({
            logger: this.logger,
            stream: created.stream,
            service: resolved.service,
            logQuery: resolved.logQuery,
            viaLogger: resolved.logFormat === 'pretty',
            records: created.stream instanceof OtlpLogTee ? created.stream : undefined,
          })
        : undefined,
      errors,
      ops: resolved.opsPort === undefined ? this.ops : undefined,
      tracing: undefined,
      isDraining: () => this.shutdownManager.isDraining,
      report: (error, where) => this.report(error, where),
    }
    // A cluster worker leaves the ops port to the primary, which serves the whole cluster's sums
    // there: the workers binding it too would share it round-robin, each scrape one worker's share.
    if (resolved.opsPort !== undefined && !reporting) this.startOpsServer(resolved.opsPort, resolved.opsHost)
    if (reporting) {
      const processes = this.processes as ProcessAggregation
      const { opsPort, opsHost } = resolved
      processes.start(opsPort, () => {
        if (this.opsServer === undefined && opsPort !== undefined) this.startOpsServer(opsPort, opsHost)
      })
      this.flushables.push({ forceFlush: () => processes.finish() })
    }
    this.uninstallCrash = resolved.crash
      ? installCrashCapture({
          timeoutMs: resolved.crashFlushTimeoutMs,
          within: (error, fn) => {
            const marked = storage.getStore() === undefined ? errorContext(error) : undefined
            if (marked === undefined) fn()
            else storage.run(marked, fn)
          },
          log: (level, fields, msg) => {
            try {
              this.logger[level](fields, msg)
            } catch {
              // The logger itself failing leaves nothing to report to.
            }
          },
          describe: (error) => {
            const request = storage.getStore()
            return errors.crash(
              error,
              request === undefined ? undefined : (request.route ?? this.routes.unmatched).template,
            )
          },
          record: (error, end, fingerprint) =>
            this.deps.tracing?.crashed?.(storage.getStore(), error, end, fingerprint),
          flushLogs: () => this.flushLogs(),
          flush: () => this.flush(),
        })
      : undefined
  }

  /**
   * A pipeline for an adapter; `resolveRoute` names the route at the end when the start could not.
   * @internal the adapters' seam, not part of the published API
   */
  pipeline(resolveRoute?: RouteResolver): Pipeline {
    return new Pipeline(this.deps, resolveRoute)
  }

  /**
   * Plugs tracing into the pipeline (the tracing module does this).
   * @internal tracing's seam, not part of the published API
   */
  setTracing(hooks: TracingHooks | undefined): void {
    this.deps.tracing = hooks
    this.setSpanFields(hooks === undefined ? undefined : (request) => hooks.spanFields(request))
    // Any histogram observed inside a sampled span (a manual one, else the request's) gets it as
    // its bucket's exemplar, not only the HTTP one.
    this.metrics.setExemplarSource(
      hooks === undefined
        ? undefined
        : () => {
            const request = storage.getStore()
            return hooks.spanFields(request) ?? request?.logFields ?? request?.buildLogFields()
          },
    )
  }

  /**
   * The tracing instance set up for this Sightline (tracing/instance), if any: what a consumed
   * message, which no request carries, is traced with.
   * @internal instrumentations' seam, not part of the published API
   */
  tracingInstance(): unknown {
    return this.deps.tracing?.instance
  }

  /**
   * The resource tracing built (its spans'), for the metrics push to send the same one.
   * @internal tracing's seam, not part of the published API
   */
  useResource(attributes: ResourceAttributes): void {
    this.resource = otlpAttributesOf(attributes)
  }

  /**
   * Names the route of the request in flight, for servers without a router.
   * @example sightline.setRoute('/api/patients/:id')
   */
  setRoute(template: string): void {
    const context = currentContext()
    if (context !== undefined) context.route = this.routes.get(template)
  }

  /**
   * Wraps a `node:http` request listener: every request gets an id, context, access line and metrics.
   * @example http.createServer(sightline.wrap((req, res) => res.end('ok')))
   */
  wrap(listener: RequestListener, resolveRoute?: RouteResolver): RequestListener {
    const pipeline = this.pipeline(resolveRoute)
    return (req: IncomingMessage, res: ServerResponse) => pipeline.handle(req, res, listener)
  }

  /** Wraps the request listeners already on `server` and drains it at shutdown. Idempotent. */
  instrument<S extends Server>(server: S, resolveRoute?: RouteResolver): S {
    const marked = server as S & { [kWrapped]?: true }
    if (marked[kWrapped]) return server
    marked[kWrapped] = true
    const pipeline = this.pipeline(resolveRoute)
    const listeners = server.listeners('request') as RequestListener[]
    server.removeAllListeners('request')
    for (const listener of listeners) {
      server.on('request', (req: IncomingMessage, res: ServerResponse) => pipeline.handle(req, res, listener))
    }
    this.manage(server)
    return server
  }

  /** Drains this server (or framework) at shutdown; returns it, so `manage(app.listen(3000))` reads as one step. */
  manage<T extends Server | Drainable>(target: T): T {
    if ('listen' in target) {
      this.shutdownManager.add(drainableServer(target))
      this.refused?.watch(target)
    } else {
      this.shutdownManager.add(target)
    }
    return target
  }

  /**
   * Registers a readiness check, run in parallel with the others under its own timeout.
   * @example sightline.addCheck('postgres', () => pool.query('SELECT 1'), { timeoutMs: 500 })
   */
  addCheck(name: string, fn: CheckFunction, options?: CheckOptions): void {
    this.health.addCheck(name, fn, options)
  }

  /** Runs at shutdown after requests drained, in registration order: close pools and clients here. */
  onShutdown(name: string, fn: () => unknown): void {
    this.shutdownManager.onShutdown(name, fn)
  }

  /** Flushed at shutdown (span processors, exporters). */
  addFlushable(flushable: Flushable): void {
    this.flushables.push(flushable)
  }

  /** The graceful shutdown, as on SIGTERM. Resolves when done; never rejects. */
  shutdown(reason = 'requested'): Promise<void> {
    return this.shutdownManager.run(reason)
  }

  /** True once the graceful shutdown began (a signal or `shutdown()`), until the process ends. */
  get shuttingDown(): boolean {
    return this.shutdownManager.isRunning
  }

  /** The port of the separate ops server, once listening. */
  get opsAddress(): { port: number } | undefined {
    const address = this.opsServer?.address()
    return address !== null && typeof address === 'object' ? { port: address.port } : undefined
  }

  /** Stops background work without the shutdown sequence (tests, hot reload). */
  async close(): Promise<void> {
    this.shutdownManager.dispose()
    this.processes?.close()
    this.uninstallCrash?.()
    this.runtime?.stop()
    await this.metricsPush?.shutdown()
    if (this.opsServer !== undefined) {
      this.opsServer.closeAllConnections()
      await new Promise((resolve) => this.opsServer?.close(resolve))
    }
    await this.flush()
  }

  /**
   * Reports an internal failure through the logger, at most once a minute per place (with how many
   * were not told in between): a second outage is told too, a failure per request is not a line per
   * request. The line carries no request's fields. Never throws.
   */
  report(error: unknown, where: string): void {
    const now = Date.now()
    const last = this.reported.get(where)
    if (last !== undefined && now - last.at < REPORT_INTERVAL_MS) {
      last.untold++
      return
    }
    this.reported.set(where, { at: now, untold: 0 })
    const fields = { err: error, where, code: ERROR_CODES.SIGHTLINE_ERR_INTERNAL, untold: last?.untold ?? 0 }
    this.internal('warn', fields, 'sightline internal error')
  }

  /**
   * A line of Sightline's own (an exporter's outage, a cache circuit opening), outside any
   * request's context. Never throws.
   * @internal
   */
  internal(level: 'info' | 'warn', fields: object, msg: string): void {
    try {
      this.withoutContext(() => this.logger[level](fields, msg))
    } catch {
      // The logger itself failing leaves nothing to report to.
    }
  }

  private async flush(): Promise<void> {
    for (const flushable of this.flushables) {
      try {
        await flushable.forceFlush?.()
      } catch (error) {
        this.report(error, 'flush')
      }
    }
    await this.drainLogs()
    this.flushLogs()
  }

  private startMetricsPush(resolved: ResolvedOptions): OtlpMetricExporter {
    const exported = this.metrics.counter({
      name: METRIC_METRIC_POINTS_EXPORTED,
      help: 'Metric data points delivered to the OTLP metrics endpoint.',
    })
    const dropped = this.metrics.counter({
      name: METRIC_METRIC_POINTS_DROPPED,
      help: 'Metric data points not delivered over OTLP: export queue full, or the export failed, by reason.',
      labelNames: ['reason'],
    })
    // Started now, so that it is ready by the first export; tracing replaces it with its own.
    this.resource ??= resourceFromEnv(resolved.service).catch((error: unknown) => {
      this.report(error, 'metrics push resource')
      return [{ key: 'service.name', value: resolved.service }]
    })
    const exporter = new OtlpMetricExporter({
      registry: this.metrics,
      push: resolved.metricsPush as NonNullable<ResolvedOptions['metricsPush']>,
      resource: () => this.resource as NonNullable<typeof this.resource>,
      scope: METER_SCOPE,
      onError: (error, fields) =>
        this.internal('warn', { err: error, ...fields }, 'metric export failing; the data points are dropped'),
      onRecovered: (fields) => this.internal('info', fields, 'metric export recovered'),
      onDropped: (reason, points) => dropped.inc({ reason }, points),
      onExported: (points) => exported.inc(points),
      onCollectError: (error) => this.report(error, 'metrics push collect'),
    })
    this.flushables.push(exporter)
    return exporter
  }

  private startOpsServer(port: number, host: string): void {
    const server = http.createServer(this.ops.listener)
    server.on('error', (error) => this.logger.error({ err: error, port }, 'ops server failed to listen'))
    server.listen(port, host, () => {
      this.logger.info({ port: this.opsAddress?.port, host }, 'ops endpoints listening')
    })
    server.unref()
    this.opsServer = server
    this.shutdownManager.add(drainableServer(server), true)
  }
}
