/**
 * @module nestjs/module
 * `SightlineModule.forRoot({ sightline })`, for NestJS on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify`. It delegates to the Express and Fastify adapters: as Nest creates
 * the module's providers (inside `NestFactory.create`, before the app's own middleware, its body
 * parsers and its routes are registered), it mounts Sightline's Express middleware first, or adds
 * the Fastify route hooks and instruments Fastify's server. Route templates are the paths Nest
 * registers, global prefix and URI version included (`/api/v1/cats/:id`). Written without
 * decorators (Nest's decorators are plain functions, applied here), so the library builds without
 * `experimentalDecorators`.
 */
import type { Server } from 'node:http'
import type { BeforeApplicationShutdown, DynamicModule, HttpServer, OnModuleInit, Provider } from '@nestjs/common'
import { Module } from '@nestjs/common'
import { APP_FILTER, APP_INTERCEPTOR, HttpAdapterHost } from '@nestjs/core'
import { getSightline } from '../../core/default.js'
import { SightlineOptionError } from '../../core/errors.js'
import { Sightline } from '../../core/sightline.js'
import { sightlineExpress } from '../express/express.js'
import { attachFastify, type FastifyInstance } from '../fastify/fastify.js'
import { nestExpressErrors, SightlineErrorInterceptor, SightlineExceptionFilter } from './errors.js'

export interface NestSightlineOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
}

interface ExpressLike {
  use(handler: unknown): unknown
}

/**
 * Binds one Nest application's HTTP adapter to Sightline, and Nest's shutdown to Sightline's: a
 * Nest provider (its lifecycle hooks are called by Nest).
 */
export class SightlineNestBinding implements OnModuleInit, BeforeApplicationShutdown {
  private readonly sightline: Sightline
  private readonly adapter: HttpServer
  private readonly type: string

  constructor(sightline: Sightline, adapter: HttpServer) {
    this.sightline = sightline
    this.adapter = adapter
    this.type = adapter.getType()
    if (this.type === 'express') {
      // First in the chain: Nest registers its body parsers and the app's middleware in init().
      ;(adapter.getInstance() as ExpressLike).use(sightlineExpress({ sightline }))
    } else if (this.type === 'fastify') {
      const fastify = adapter.getInstance() as FastifyInstance
      attachFastify(fastify, sightline, () => fastify.close())
    } else {
      throw new SightlineOptionError('nestjs', 'the express or fastify platform', this.type)
    }
  }

  /**
   * Express' server is made once the providers exist: it is managed here, before listen(). Nest
   * calls this after registering the routes and before its own error handler.
   */
  onModuleInit(): void {
    if (this.type !== 'express') return
    ;(this.adapter.getInstance() as ExpressLike).use(nestExpressErrors)
    const server = this.adapter.getHttpServer() as Server | undefined
    if (server !== undefined) this.sightline.manage(server)
  }

  /**
   * `app.close()` (or Nest's own signal handling, `enableShutdownHooks()`): runs Sightline's
   * shutdown (readiness fails, the delay, the drain, its hooks, the flush) before Nest closes the
   * server. When Sightline's shutdown is what called `app.close()` (a hook), it is already past
   * the drain and is not waited for here: it waits for this.
   */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (this.sightline.shuttingDown) return
    await this.sightline.shutdown(signal ?? 'nest')
  }
}

/**
 * @example
 * // AppModule decorated with Module({ imports: [SightlineModule.forRoot({ sightline })], … })
 * const app = await NestFactory.create(AppModule)
 * sightline.onShutdown('nest', () => app.close())
 * await app.listen(3000)
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class, configured through its static forRoot().
export class SightlineModule {
  static forRoot(options: NestSightlineOptions = {}): DynamicModule {
    const sightline = options.sightline ?? getSightline()
    const providers: Provider[] = [
      { provide: Sightline, useValue: sightline },
      {
        provide: SightlineNestBinding,
        useFactory: (host: HttpAdapterHost) => new SightlineNestBinding(sightline, host.httpAdapter),
        inject: [HttpAdapterHost],
      },
      {
        provide: APP_FILTER,
        useFactory: (host: HttpAdapterHost) => new SightlineExceptionFilter(host.httpAdapter),
        inject: [HttpAdapterHost],
      },
      { provide: APP_INTERCEPTOR, useClass: SightlineErrorInterceptor },
    ]
    return { module: SightlineModule, global: true, providers, exports: [Sightline] }
  }
}
Module({})(SightlineModule)
