/**
 * @module nestjs/errors
 * Keeps the exceptions Nest handles for the access line and the server span. Nest answers a
 * handler's exception itself (its exception filters), so neither Express' error middleware nor
 * Fastify's `onError` hook ever sees it. Two places see it instead: a global interceptor, around
 * the handler, its pipes and the interceptors after it (it sees what an app's own filter then
 * answers), and a global catch-all filter, for what is thrown before (guards, middleware, a body
 * that did not parse), which hands the exception on to Nest's own `BaseExceptionFilter` to answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ArgumentsHost, CallHandler, ExecutionContext, HttpServer, NestInterceptor } from '@nestjs/common'
import { BadRequestException } from '@nestjs/common'
import { BaseExceptionFilter } from '@nestjs/core'
import { catchError, type Observable, throwError } from 'rxjs'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import { expressRoute } from '../express/express.js'

const BODY_PARSE_MESSAGE = 'the request body could not be parsed'

/** body-parser's error for a body that is not JSON (or JSON.parse's own): its message may quote the body. */
function isBodyParseError(error: unknown): boolean {
  return error instanceof SyntaxError || (error as { type?: unknown } | null)?.type === 'entity.parse.failed'
}

/** The node response behind Nest's: Express' is one, Fastify's reply holds it as `raw`. */
function nodeResponse(response: unknown): ServerResponse | undefined {
  if (response === null || typeof response !== 'object') return undefined
  const raw = (response as { raw?: unknown }).raw
  return (raw ?? response) as ServerResponse
}

function nodeRequest(request: unknown): IncomingMessage | undefined {
  if (request === null || typeof request !== 'object') return undefined
  const raw = (request as { raw?: unknown }).raw
  return (raw ?? request) as IncomingMessage
}

/**
 * Records `error` on the request's context. Nest's answer to a request no route matched is a
 * `NotFoundException` through the same filters; it is not the application's error (the other
 * adapters keep none for it either), so a request that matched no route keeps nothing.
 */
export function keepNestError(host: ArgumentsHost, error: unknown): void {
  if (host.getType() !== 'http') return
  const http = host.switchToHttp()
  const res = nodeResponse(http.getResponse())
  const context = res === undefined ? undefined : Pipeline.contextOf(res)
  if (context === undefined) return
  // Fastify's route hook set the route by now; Express' route is read from the request.
  const req = nodeRequest(http.getRequest())
  const matched = context.route !== undefined || (req !== undefined && expressRoute(req) !== undefined)
  if (matched) context.error = error
}

/**
 * Express error middleware, mounted after Nest's routes and before Nest's own error handler (which
 * turns body-parser's error into a `BadRequestException` carrying its message, a quote of the body):
 * keeps the error as `sightlineExpressErrors` does, and hands Nest a body-parse error whose message
 * says what happened without the body.
 */
export function nestExpressErrors(
  error: unknown,
  _req: IncomingMessage,
  res: ServerResponse,
  next: (error: unknown) => void,
): void {
  const context = Pipeline.contextOf(res)
  if (context !== undefined) context.error = error
  if (!isBodyParseError(error)) {
    next(error)
    return
  }
  next(
    Object.assign(new SyntaxError(BODY_PARSE_MESSAGE), { status: 400, statusCode: 400, type: 'entity.parse.failed' }),
  )
}

/** The global filter: keeps the exception, then lets Nest's base filter answer as it would. */
export class SightlineExceptionFilter extends BaseExceptionFilter {
  constructor(applicationRef: HttpServer | undefined) {
    super(applicationRef)
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    try {
      keepNestError(host, exception)
    } catch {
      // Telemetry never changes the reply.
    }
    // Nest answers body-parser's error with its message, which JSON.parse made quoting the body.
    super.catch(isBodyParseError(exception) ? new BadRequestException(BODY_PARSE_MESSAGE) : exception, host)
  }
}

/** The global interceptor: keeps what the handler (or a pipe) threw and rethrows it untouched. */
export class SightlineErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        try {
          keepNestError(context, error)
        } catch {
          // Telemetry never changes the reply.
        }
        return throwError(() => error)
      }),
    )
  }
}
