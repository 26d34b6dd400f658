/**
 * @module test/conformance/nest-app
 * The shared test application as a NestJS app, on Nest's Express or Fastify platform. Written
 * without decorator syntax: Nest's decorators are functions, applied here by hand (`Reflect.decorate`
 * for methods, a call for each parameter), so the test workspace needs no `experimentalDecorators`.
 * The same routes as the other adapters' apps: `GET /users/:id`, `GET /boom`, `GET /slow`,
 * `POST /api/things`.
 */
import 'reflect-metadata'
import type { Server } from 'node:http'
import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { Sightline } from 'sightline'
import { SightlineModule } from 'sightline/nestjs'

const tick = () => new Promise((resolve) => setImmediate(resolve))

function method(target: object, key: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key)
  Reflect.defineProperty(target, key, Reflect.decorate(decorators, target, key, descriptor) as PropertyDescriptor)
}

export interface NestApp {
  server: Server
  close(): Promise<void>
}

export async function startNestApp(platform: 'express' | 'fastify', sightline: Sightline): Promise<NestApp> {
  class UsersController {
    async user(id: string) {
      await tick()
      sightline.logger.info({ user: id }, 'inside handler')
      return { id }
    }
    boom(): never {
      throw new Error('kaboom')
    }
    async slow(ms: string | undefined) {
      await new Promise((resolve) => setTimeout(resolve, Number(ms ?? 50)))
      return { slow: true }
    }
    things(body: unknown) {
      return { received: typeof body }
    }
  }
  const proto = UsersController.prototype
  method(proto, 'user', Get('users/:id'))
  Param('id')(proto, 'user', 0)
  method(proto, 'boom', Get('boom'))
  method(proto, 'slow', Get('slow'))
  Query('ms')(proto, 'slow', 0)
  method(proto, 'things', Post('api/things'))
  Body()(proto, 'things', 0)
  // Nest reads a handler's parameter types for its pipes; plain strings need none.
  Reflect.defineMetadata('design:paramtypes', [String], proto, 'user')
  Reflect.defineMetadata('design:paramtypes', [String], proto, 'slow')
  Reflect.defineMetadata('design:paramtypes', [Object], proto, 'things')
  Controller()(UsersController)

  class AppModule {}
  Module({ imports: [SightlineModule.forRoot({ sightline })], controllers: [UsersController] })(AppModule)

  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = await NestFactory.create(AppModule, adapter, { logger: false, abortOnError: false })
  await app.listen(0, '127.0.0.1')
  return { server: app.getHttpServer() as Server, close: () => app.close() }
}
