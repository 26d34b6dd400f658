/**
 * @module doctor-api/routes/signup
 * Signups, counted by source (`app_user_signups_total{source}`). The password is hashed with scrypt
 * and never logged.
 */
import { randomBytes, scrypt } from 'node:crypto'
import { promisify } from 'node:util'
import type { FastifyInstance } from 'fastify'
import type { Deps } from '../deps.js'
import { HttpError } from '../errors.js'
import { signupBody } from '../schemas.js'

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, 32)
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`
}

export function signupRoutes(app: FastifyInstance, { repository, logger, metrics }: Deps): void {
  app.post('/api/signup', { schema: { body: signupBody } }, async (request, reply) => {
    const body = request.body as { email: string; password: string; source?: string }
    const userId = await repository.createUser(body.email, await hashPassword(body.password), body.source ?? 'web')
    if (userId === undefined) throw new HttpError(409, 'an account with this email exists')
    const source = metrics.signup(body.source ?? 'web')
    logger.info({ user_id: userId, source }, 'user signed up')
    return reply.status(201).send({ id: userId, source })
  })
}
