/**
 * @module test/helpers/fault-proxy
 * A TCP proxy between a service and a real server that can be switched, at run time, to pass
 * traffic, black-hole it (connections stay open, nothing gets through: a hung server), delay it
 * (every chunk, both ways, `delayMs` late: a slow network or server), or reset every connection and
 * refuse new ones (a server that is gone).
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export type FaultMode = 'pass' | 'blackhole' | 'delay' | 'reset'

export class FaultProxy {
  mode: FaultMode = 'pass'
  /** How late `delay` forwards each chunk. */
  delayMs = 200
  port = 0
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (this.mode === 'reset') {
        client.resetAndDestroy()
        return
      }
      const upstream = connect(this.targetPort, this.targetHost)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => {
          this.sockets.delete(socket)
          client.destroy()
          upstream.destroy()
        })
      }
      // Forwarded chunk by chunk so a mode switch applies to connections already open.
      // Same delay for every chunk: timers of one duration fire in order, so the stream stays whole.
      const forward = (to: Socket, chunk: Buffer) => {
        if (this.mode === 'pass') to.write(chunk)
        else if (this.mode === 'delay') setTimeout(() => to.writable && to.write(chunk), this.delayMs)
      }
      client.on('data', (chunk: Buffer) => forward(upstream, chunk))
      upstream.on('data', (chunk: Buffer) => forward(client, chunk))
    })
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
    return this
  }

  /** Switches mode. Leaving a fault drops the connections it touched: their streams lost (or would reorder) bytes. */
  set(mode: FaultMode): void {
    const previous = this.mode
    this.mode = mode
    if (mode === 'reset' || (previous !== 'pass' && mode !== previous)) {
      for (const socket of this.sockets) socket.resetAndDestroy()
      this.sockets.clear()
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}
