/**
 * @module test/helpers/otlp-protobuf-receiver
 * An OTLP/HTTP traces endpoint that reads what Sightline's default exporter sends (http/protobuf,
 * from its export worker), decoded by the viewer's OTLP decoder, and keeps every span.
 */
import { createServer, type Server } from 'node:http'
import { parseOtlp, type ViewerSpan } from '@sightline/viewer'
import { close, listen } from './server.js'

/** OTLP's span kinds (the protobuf enum, not the API's). */
export const OTLP_KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const

export class OtlpProtobufReceiver {
  readonly spans: ViewerSpan[] = []
  readonly contentTypes = new Set<string>()
  private server: Server | undefined
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const contentType = String(req.headers['content-type'])
        this.contentTypes.add(contentType)
        if (req.url === '/v1/traces') this.spans.push(...parseOtlp('traces', contentType, Buffer.concat(chunks)).spans)
        res.setHeader('content-type', 'application/x-protobuf')
        res.end()
      })
    })
    this.url = await listen(this.server)
    return this
  }

  async close(): Promise<void> {
    if (this.server !== undefined) await close(this.server)
  }
}
