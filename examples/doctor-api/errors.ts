/**
 * @module doctor-api/errors
 * Every client mistake gets a 4xx with a body that says what is wrong; nothing a client sends is a 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NO_NUL } from './schemas.js'

/** An error with the status and message the client should see. */
export class HttpError extends Error {
  readonly statusCode: number
  readonly details: string[] | undefined
  constructor(statusCode: number, message: string, details?: string[]) {
    super(message)
    this.statusCode = statusCode
    this.details = details
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError, _request, reply) => {
    if ('validation' in error && error.validation !== undefined) {
      const details = error.validation.map((issue) => {
        const where = `${error.validationContext ?? 'body'}${issue.instancePath.replaceAll('/', '.')}`
        const params = issue.params as { missingProperty?: string; pattern?: string }
        if (params.pattern === NO_NUL) return `${where} must not contain NUL characters`
        return params.missingProperty === undefined
          ? `${where} ${issue.message}`
          : `${where}.${params.missingProperty} is required`
      })
      return reply.status(400).send({ error: 'invalid request', details })
    }
    if (isDatabaseUnavailable(error)) {
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({ error: 'the database is unavailable, try again later' })
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const body: { error: string; details?: string[] } = { error: clientMessage(error) }
      if (error instanceof HttpError && error.details !== undefined) body.details = error.details
      return reply.status(status).send(body)
    }
    // The access line carries the error (Sightline's onError hook); the client gets no internals.
    return reply.status(status >= 500 && status < 600 ? status : 500).send({
      error: error instanceof HttpError ? error.message : 'internal error',
    })
  })
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` })
  })
}

function clientMessage(error: FastifyError | HttpError): string {
  switch ((error as FastifyError).code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Fastify's parser refuses prototype keys with the same error as broken JSON: say both.
      return 'the body is not valid JSON, or has a __proto__ or constructor.prototype key'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is empty; send a JSON object'
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the body is too large'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'send the body as application/json'
    case 'FST_ERR_BAD_URL':
      return 'the URL is not validly percent-encoded'
    default:
      return error.message
  }
}

/** Connection failures and timeouts: the database is away, not the request wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57014',
  '57P01',
  '57P03',
  '08006',
  '08001',
])
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout/i

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
  return error instanceof Error && UNAVAILABLE_MESSAGE.test(error.message)
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot decode (`/api/patients/%ZZ`) gets the same body
 * shape as every other client mistake.
 * @example
 * Fastify({ frameworkErrors: badUrlHandler })
 */
export function badUrlHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  reply.status(400).send({ error: 'invalid request', details: [clientMessage(error)] })
}
