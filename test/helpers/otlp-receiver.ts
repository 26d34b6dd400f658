/**
 * @module test/helpers/otlp-receiver
 * A real OTLP/HTTP endpoint for tests: it accepts `/v1/traces` in the JSON encoding, keeps every
 * span with its resource, and can be told to fail (503) or hang, as a collector in trouble would.
 */
import { createServer, type Server } from 'node:http'
import { listen } from './server.js'

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Record<string, unknown>
  status?: { code?: number; message?: string }
  events?: Array<{ name: string; attributes?: Array<{ key: string; value: Record<string, unknown> }> }>
  resource: Record<string, unknown>
}

type Mode = 'ok' | 'fail' | 'hang'

interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  boolValue?: boolean
  doubleValue?: number
}

function flatten(attributes: Array<{ key: string; value: OtlpValue }> = []): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { key, value } of attributes) {
    out[key] =
      value.stringValue ??
      (value.intValue === undefined ? undefined : Number(value.intValue)) ??
      value.boolValue ??
      value.doubleValue
  }
  return out
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = []
  requests = 0
  contentTypes: string[] = []
  mode: Mode = 'ok'
  private server: Server | undefined
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests++
      this.contentTypes.push(String(req.headers['content-type']))
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        if (this.mode === 'hang') return
        if (this.mode === 'fail') {
          res.statusCode = 503
          res.end()
          return
        }
        if (String(req.headers['content-type']).includes('json'))
          this.collect(JSON.parse(Buffer.concat(chunks).toString()))
        res.setHeader('content-type', 'application/json')
        res.end('{}')
      })
    })
    this.url = await listen(this.server)
    return this
  }

  private collect(body: {
    resourceSpans?: Array<{
      resource?: { attributes?: Array<{ key: string; value: OtlpValue }> }
      scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>
    }>
  }): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const resource = flatten(resourceSpans.resource?.attributes)
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            ...(span as unknown as ReceivedSpan),
            parentSpanId: (span.parentSpanId as string | undefined) || undefined,
            attributes: flatten(span.attributes as Array<{ key: string; value: OtlpValue }>),
            resource,
          })
        }
      }
    }
  }

  byName(name: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.name === name)
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}
