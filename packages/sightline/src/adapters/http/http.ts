/**
 * @module http
 * The `node:http` adapter: wrap a listener or instrument a server.
 */
import type { RequestListener, Server } from 'node:http'
import { getSightline } from '../../core/default.js'
import type { Sightline } from '../../core/sightline.js'
import { compileRoutes } from './route-matcher.js'

export interface HttpAdapterOptions {
  /** The instance to use; the default instance otherwise. */
  sightline?: Sightline
  /** Route templates to label requests with, e.g. `['/api/patients/:id']`; or call `sightline.setRoute()`. */
  routes?: readonly string[]
}

/**
 * Instruments every request of a `node:http` server (its existing request listeners are wrapped)
 * and drains it at shutdown.
 * @example instrumentServer(http.createServer(handler), { routes: ['/users/:id'] }).listen(3000)
 */
export function instrumentServer<S extends Server>(server: S, options: HttpAdapterOptions = {}): S {
  const sightline = options.sightline ?? getSightline()
  return sightline.instrument(server, options.routes === undefined ? undefined : compileRoutes(options.routes))
}

/**
 * Wraps one request listener.
 * @example http.createServer(wrapListener((req, res) => res.end('ok')))
 */
export function wrapListener(listener: RequestListener, options: HttpAdapterOptions = {}): RequestListener {
  const sightline = options.sightline ?? getSightline()
  return sightline.wrap(listener, options.routes === undefined ? undefined : compileRoutes(options.routes))
}
