/**
 * @module route-matcher
 * Matches raw paths against route templates (`/api/patients/:id`), for `node:http` servers that have
 * no router to ask. Templates are compiled once; a path no template matches is `unmatched`.
 */
import type { IncomingMessage } from 'node:http'
import { SightlineOptionError } from '../../core/errors.js'

export function compileRoutes(templates: readonly string[]): (req: IncomingMessage) => string | undefined {
  const compiled = templates.map((template) => {
    if (typeof template !== 'string' || !template.startsWith('/')) {
      throw new SightlineOptionError('routes', 'route templates starting with "/"', template)
    }
    const pattern = template
      .replace(/\/+$/, '')
      .split('/')
      .map((part) =>
        part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/')
    return { template, regex: new RegExp(`^${pattern}/?$`) }
  })
  return (req) => {
    const url = req.url ?? '/'
    const query = url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    for (const { template, regex } of compiled) if (regex.test(path)) return template
    return undefined
  }
}
