/**
 * @module core/otlp/post
 * One OTLP/HTTP protobuf request, as Sightline's export workers send it: a POST with a timeout and
 * no retries (the caller counts a failed request and drops what it held). Runs in a worker thread:
 * an HTTP client in the application's thread would share the server's HTTP internals (see
 * tracing/export-worker).
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

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
