/**
 * @module express
 * The Express adapter: one middleware (mount it first) and an error recorder (mount it last).
 * The route template is read from `req.baseUrl + req.route.path` when the response ends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { getSightline } from '../../core/default.js'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import type { Sightline } from '../../core/sightline.js'

export interface ExpressSightlineOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
}

interface ExpressRequest extends IncomingMessage {
  baseUrl?: string
  route?: { path?: unknown }
}

type Next = (error?: unknown) => void

export function expressRoute(req: IncomingMessage): string | undefined {
  const route = (req as ExpressRequest).route
  if (route === undefined || route.path === undefined) return undefined
  return `${(req as ExpressRequest).baseUrl ?? ''}${String(route.path)}`
}

/**
 * @example
 * app.use(sightlineExpress({ sightline }))
 * // … routes …
 * app.use(sightlineExpressErrors())
 * sightline.manage(app.listen(3000))
 */
export function sightlineExpress(
  options: ExpressSightlineOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const pipeline = (options.sightline ?? getSightline()).pipeline(expressRoute)
  return function sightline(req, res, next) {
    pipeline.middleware(req, res, next)
  }
}

/** Keeps the error for the access line and passes it on to Express' own handling. */
export function sightlineExpressErrors(): (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) => void {
  return function sightlineErrors(error, _req, res, next) {
    const context = Pipeline.contextOf(res)
    if (context !== undefined) context.error = error
    next(error)
  }
}
