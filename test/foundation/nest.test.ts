/**
 * @module test/foundation/nest
 * What only NestJS has, on both its platforms (the rest is the conformance suite's): route
 * templates from controller metadata with a global prefix and URI versioning, the exceptions
 * Nest's filters answer (an HttpException from a handler, one from a guard) kept for the line and
 * the span, and shutdown wired both ways (Sightline's shutdown closing the app, the app's close()
 * running Sightline's drain), an in-flight request served through it.
 */
import 'reflect-metadata'
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { describe, test } from 'node:test'
import {
  Controller,
  ForbiddenException,
  Get,
  Module,
  NotFoundException,
  Param,
  UseGuards,
  VersioningType,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { createSightline, type Sightline } from 'sightline'
import { SightlineModule } from 'sightline/nestjs'
import { setupTracing } from 'sightline/tracing'
import { LogCapture } from '../helpers/logs.js'
import { findSamples, parseMetrics } from '../helpers/metrics.js'
import { OtlpReceiver } from '../helpers/otlp-receiver.js'

function method(target: object, key: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key)
  Reflect.defineProperty(target, key, Reflect.decorate(decorators, target, key, descriptor) as PropertyDescriptor)
}

class DenyGuard {
  canActivate(): boolean {
    throw new ForbiddenException('not yours')
  }
}

async function startCats(platform: 'express' | 'fastify', sightline: Sightline, lifecycle: string[]) {
  class CatsController {
    cat(id: string) {
      if (id === '0') throw new NotFoundException('no such cat')
      return { id }
    }
    secret() {
      return { secret: true }
    }
    async slow() {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return { slow: true }
    }
  }
  const proto = CatsController.prototype
  method(proto, 'cat', Get(':id'))
  Param('id')(proto, 'cat', 0)
  Reflect.defineMetadata('design:paramtypes', [String], proto, 'cat')
  method(proto, 'secret', Get('secret/admin'), UseGuards(DenyGuard))
  method(proto, 'slow', Get('slow/down'))
  Controller({ path: 'cats', version: '1' })(CatsController)
  class AppModule {
    onModuleDestroy() {
      lifecycle.push('onModuleDestroy')
    }
  }
  Module({ imports: [SightlineModule.forRoot({ sightline })], controllers: [CatsController] })(AppModule)
  const app = await NestFactory.create(
    AppModule,
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    {
      logger: false,
    },
  )
  app.setGlobalPrefix('api')
  app.enableVersioning({ type: VersioningType.URI })
  await app.listen(0, '127.0.0.1')
  const port = (app.getHttpServer() as Server).address() as { port: number }
  return { app, url: `http://127.0.0.1:${port.port}` }
}

function service(name: string) {
  const logs = new LogCapture()
  const sightline = createSightline({
    service: name,
    logDestination: logs,
    readyCacheMs: 0,
    shutdown: { signals: false, delayMs: 0, timeoutMs: 5000 },
  })
  return { logs, sightline }
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`NestJS on ${platform}`, () => {
    test('templates carry the global prefix and the version; HttpExceptions are kept on line and span', async () => {
      const { logs, sightline } = service(`nest-${platform}-routes`)
      const receiver = await new OtlpReceiver().start()
      const tracing = await setupTracing(sightline, {
        ratio: 1,
        protocol: 'http/json',
        endpoint: `${receiver.url}/v1/traces`,
        scheduledDelayMillis: 60_000,
      })
      const { app, url } = await startCats(platform, sightline, [])
      try {
        const ok = await fetch(`${url}/api/v1/cats/7`, { headers: { 'x-request-id': 'n-ok' } })
        assert.equal(ok.status, 200)
        assert.deepEqual(await ok.json(), { id: '7' })
        const missing = await fetch(`${url}/api/v1/cats/0`, { headers: { 'x-request-id': 'n-404' } })
        assert.equal(missing.status, 404)
        assert.equal(((await missing.json()) as { message: string }).message, 'no such cat')
        const denied = await fetch(`${url}/api/v1/cats/secret/admin`, { headers: { 'x-request-id': 'n-403' } })
        assert.equal(denied.status, 403)
        await denied.arrayBuffer()

        const line = (id: string) => logs.waitFor((l) => l.msg === 'request completed' && l.request_id === id)
        assert.equal((await line('n-ok')).route, '/api/v1/cats/:id')
        const notFound = await line('n-404')
        assert.equal(notFound.route, '/api/v1/cats/:id')
        assert.equal(notFound.level, 'warn')
        assert.deepEqual(
          { type: (notFound.err as { type: string }).type, message: (notFound.err as { message: string }).message },
          { type: 'NotFoundException', message: 'no such cat' },
        )
        assert.equal((notFound.err as { stack?: string }).stack, undefined, 'no stack on a 4xx line')
        const forbidden = await line('n-403')
        assert.equal(forbidden.route, '/api/v1/cats/secret/admin')
        assert.equal((forbidden.err as { type: string }).type, 'ForbiddenException', 'a guard’s exception is kept')

        await tracing.forceFlush()
        const span = receiver.spans.find((s) => s.traceId === notFound.trace_id)
        assert.ok(span)
        assert.equal(span.name, 'GET /api/v1/cats/:id')
        assert.equal(span.attributes['http.route'], '/api/v1/cats/:id')
        assert.equal(span.attributes['http.response.status_code'], 404)
        const exception = span.events?.find((e) => e.name === 'exception')
        assert.ok(exception, 'the exception is an event of the span')
        const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text())
        assert.equal(
          findSamples(samples, 'http_server_request_duration_seconds_count', {
            http_route: '/api/v1/cats/:id',
            http_response_status_code: '404',
          })[0]?.value,
          1,
        )
      } finally {
        await tracing.shutdown()
        await app.close()
        await sightline.close()
        await receiver.close()
      }
    })

    test("Sightline's shutdown closes the app after the drain; an in-flight request is served", async () => {
      const { logs, sightline } = service(`nest-${platform}-drain`)
      const lifecycle: string[] = []
      const { app, url } = await startCats(platform, sightline, lifecycle)
      sightline.onShutdown('nest', async () => {
        lifecycle.push('hook')
        await app.close()
      })
      const inFlight = fetch(`${url}/api/v1/cats/slow/down`)
      await new Promise((resolve) => setTimeout(resolve, 50))
      await sightline.shutdown('test')
      const reply = await inFlight
      assert.equal(reply.status, 200)
      assert.deepEqual(await reply.json(), { slow: true })
      assert.deepEqual(lifecycle, ['hook', 'onModuleDestroy'])
      await logs.waitFor((l) => l.msg === 'shutdown complete')
      await sightline.close()
    })

    test("the app's close() runs Sightline's shutdown (its drain, its flush); the in-flight request is served", async () => {
      const { logs, sightline } = service(`nest-${platform}-close`)
      const lifecycle: string[] = []
      const { app, url } = await startCats(platform, sightline, lifecycle)
      assert.equal((await fetch(`${url}/readyz`)).status, 200)
      const inFlight = fetch(`${url}/api/v1/cats/slow/down`)
      await new Promise((resolve) => setTimeout(resolve, 50))
      await app.close()
      assert.equal(sightline.shuttingDown, true)
      const reply = await inFlight
      assert.equal(reply.status, 200)
      await reply.arrayBuffer()
      assert.deepEqual(lifecycle, ['onModuleDestroy'])
      await logs.waitFor((l) => l.msg === 'shutdown complete')
      await sightline.close()
    })
  })
}
