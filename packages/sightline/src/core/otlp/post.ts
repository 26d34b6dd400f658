/**
 * @module core/otlp/post
 * One OTLP/HTTP protobuf request, as Sightline's export workers send it: a POST with a timeout and
 * no retries (the caller counts a failed request and drops what it held). Runs in a worker thread:
 * an HTTP client in the application's thread would share the server's HTTP internals (see
 * tracing/export-worker). A plain-HTTP endpoint gets one kept-alive connection of Sightline's own
 * (core/otlp/http1-connection), requests one after another; HTTPS goes through Node's client.
 */
import { request as httpRequest, validateHeaderName, validateHeaderValue } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Http1Connection } from './http1-connection.js'

/** Where and how a worker posts: the full URL, extra headers, the timeout in ms. */
export interface OtlpTarget {
  url: string
  headers: Record<string, string>
  timeoutMs: number
}

/**
 * A function posting protobuf bytes to `target`: resolves on a 2xx answer, rejects with what went
 * wrong (`what` names the signal in the message).
 * @example const post = otlpPoster({ url, headers: {}, timeoutMs: 5000 }, 'metric'); await post(bytes)
 */
export function otlpPoster(target: OtlpTarget, what: string): (bytes: Uint8Array) => Promise<void> {
  const url = new URL(target.url)
  if (url.protocol === 'http:') return connectionPoster(url, target, what)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return (bytes) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            ...target.headers,
            'content-type': 'application/x-protobuf',
            'content-length': bytes.byteLength,
          },
          timeout: target.timeoutMs,
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            res.statusCode !== undefined && res.statusCode < 300
              ? resolve()
              : reject(new Error(`${what} export to ${url.href} answered HTTP ${res.statusCode}`)),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`${what} export to ${url.href} timed out`)))
      req.on('error', reject)
      req.end(bytes)
    })
}

/** Posts over one kept-alive connection; a post made while another is in flight waits its turn. */
function connectionPoster(url: URL, target: OtlpTarget, what: string): (bytes: Uint8Array) => Promise<void> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(target.headers)) {
    // Checked once: the head is written as text, so a CR or LF must never get into it.
    validateHeaderName(name)
    validateHeaderValue(name, value)
    const lower = name.toLowerCase()
    if (lower !== 'content-length' && lower !== 'host' && lower !== 'content-type') headers[lower] = value
  }
  headers['content-type'] = 'application/x-protobuf'
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const connection = new Http1Connection(
    host,
    url.port === '' ? 80 : Number(url.port),
    `${url.pathname}${url.search}`,
    headers,
    target.timeoutMs,
  )
  let turn: Promise<unknown> = Promise.resolve()
  return (bytes) => {
    const result = turn.then(() => connection.post(bytes))
    turn = result.catch(() => undefined)
    return result.then(
      (status) => {
        if (status >= 300) throw new Error(`${what} export to ${url.href} answered HTTP ${status}`)
      },
      (error: Error) => {
        throw new Error(`${what} export to ${url.href} failed: ${error.message}`)
      },
    )
  }
}
