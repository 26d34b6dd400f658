/**
 * @module core/otlp/http1-connection
 * One kept-alive HTTP/1.1 connection that POSTs a body and reads the answer's status: what the
 * export workers need from an HTTP client for a plain-HTTP collector, without Node's
 * ClientRequest/IncomingMessage machinery, which costs each batch more CPU than the request itself
 * (docs/performance.md). Requests go one at a time. The answer's body is read and discarded: by
 * `content-length`, as chunks, or to the connection's end. A connection the server closed while it
 * was idle is opened again, and the request sent again once, when nothing of an answer came.
 */
import { connect, type Socket } from 'node:net'

/** An answer's head bigger than this is not an OTLP collector's: the request fails. */
const MAX_HEAD_BYTES = 64 * 1024
/** Nor is a body bigger than this (partial-success messages are a few hundred bytes). */
const MAX_BODY_BYTES = 4 * 1024 * 1024
const CRLF = '\r\n'

/** Where the body of the answer being read is. */
enum Body {
  Head = 0,
  Length = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkEnd = 4,
  Trailers = 5,
  UntilClose = 6,
}

interface Pending {
  resolve: (status: number) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
  bytes: Uint8Array
  /** The request went on a connection an earlier request used (a server may have closed it since). */
  reused: boolean
  /** Something of the answer arrived. */
  answered: boolean
  retried: boolean
}

export class Http1Connection {
  private readonly host: string
  private readonly port: number
  private readonly head: string
  private readonly timeoutMs: number
  private socket: Socket | undefined
  private used = false
  private pending: Pending | undefined
  /** The answer's bytes not parsed yet, as latin1 text (answers are small). */
  private text = ''
  private state = Body.Head
  private status = 0
  private remaining = 0
  private bodyBytes = 0
  private keepAlive = true

  /** `path` with its query; `headers` already validated (names and values without CR or LF). */
  constructor(host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number) {
    this.host = host
    this.port = port
    this.timeoutMs = timeoutMs
    let head = `POST ${path} HTTP/1.1${CRLF}host: ${host.includes(':') ? `[${host}]` : host}:${port}${CRLF}`
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}${CRLF}`
    this.head = `${head}content-length: `
  }

  /** Resolves with the answer's status (any: the caller judges it); rejects when there is none. */
  post(bytes: Uint8Array): Promise<number> {
    if (this.pending !== undefined) return Promise.reject(new Error('a request is already in flight'))
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs)
      this.pending = { resolve, reject, timer, bytes, reused: false, answered: false, retried: false }
      this.send()
    })
  }

  /** Closes the connection; a request in flight fails. */
  close(): void {
    this.fail(new Error('the connection was closed'))
    this.drop()
  }

  private send(): void {
    const pending = this.pending as Pending
    const socket = this.socket ?? this.open()
    pending.reused = this.used
    this.used = true
    this.text = ''
    this.state = Body.Head
    this.bodyBytes = 0
    // Held open while a request waits; an idle connection keeps no event loop alive (as Node's agent does).
    socket.ref()
    socket.cork()
    socket.write(`${this.head}${pending.bytes.byteLength}${CRLF}${CRLF}`, 'latin1')
    socket.write(pending.bytes)
    socket.uncork()
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port })
    socket.setNoDelay(true)
    socket.setKeepAlive(true)
    socket.on('data', (chunk: Buffer) => this.data(socket, chunk))
    socket.on('end', () => this.ended(socket))
    socket.on('error', (error) => this.lost(socket, error))
    socket.on('close', () => this.lost(socket, new Error('the connection closed before the answer')))
    this.socket = socket
    this.used = false
    return socket
  }

  private data(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return
    const pending = this.pending
    if (pending === undefined) {
      // Bytes nobody asked for: the connection is not in a state to reuse.
      this.drop()
      return
    }
    pending.answered = true
    this.text += chunk.toString('latin1')
    try {
      this.parse()
    } catch (error) {
      this.fail(error as Error)
      this.drop()
    }
  }

  private parse(): void {
    for (;;) {
      switch (this.state) {
        case Body.Head: {
          const end = this.text.indexOf(`${CRLF}${CRLF}`)
          if (end === -1) {
            if (this.text.length > MAX_HEAD_BYTES) throw new Error('the answer has no end of head')
            return
          }
          const head = this.text.slice(0, end)
          this.text = this.text.slice(end + 4)
          this.readHead(head)
          break
        }
        case Body.Length: {
          const take = Math.min(this.remaining, this.text.length)
          this.remaining -= take
          this.text = this.text.slice(take)
          if (this.remaining > 0) return
          this.complete()
          return
        }
        case Body.ChunkSize: {
          const end = this.text.indexOf(CRLF)
          if (end === -1) {
            if (this.text.length > 1024) throw new Error('a chunk size line is too long')
            return
          }
          const line = this.text.slice(0, end)
          const semicolon = line.indexOf(';')
          const hex = (semicolon === -1 ? line : line.slice(0, semicolon)).trim()
          if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new Error('a chunk size is not hexadecimal')
          this.remaining = Number.parseInt(hex, 16)
          this.text = this.text.slice(end + 2)
          this.count(this.remaining)
          this.state = this.remaining === 0 ? Body.Trailers : Body.ChunkData
          break
        }
        case Body.ChunkData: {
          const take = Math.min(this.remaining, this.text.length)
          this.remaining -= take
          this.text = this.text.slice(take)
          if (this.remaining > 0) return
          this.state = Body.ChunkEnd
          break
        }
        case Body.ChunkEnd: {
          if (this.text.length < 2) return
          if (!this.text.startsWith(CRLF)) throw new Error('a chunk does not end with CRLF')
          this.text = this.text.slice(2)
          this.state = Body.ChunkSize
          break
        }
        case Body.Trailers: {
          // Trailer lines up to an empty one.
          if (this.text.startsWith(CRLF)) {
            this.text = this.text.slice(2)
            this.complete()
            return
          }
          const end = this.text.indexOf(`${CRLF}${CRLF}`)
          if (end === -1) {
            if (this.text.length > MAX_HEAD_BYTES) throw new Error('the trailers have no end')
            return
          }
          this.text = this.text.slice(end + 4)
          this.complete()
          return
        }
        case Body.UntilClose: {
          this.count(this.text.length)
          this.text = ''
          return
        }
      }
    }
  }

  private readHead(head: string): void {
    const lines = head.split(CRLF)
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '')
    if (statusLine === null) throw new Error('the answer is not HTTP/1.x')
    const status = Number(statusLine[2])
    let length: number | undefined
    let chunked = false
    let keepAlive = statusLine[1] === '1'
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string
      const colon = line.indexOf(':')
      if (colon <= 0) continue
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase()
      if (name === 'content-length') {
        if (!/^\d{1,10}$/.test(value) || (length !== undefined && length !== Number(value)))
          throw new Error('the answer has a bad content-length')
        length = Number(value)
      } else if (name === 'transfer-encoding') chunked = value.split(',').some((part) => part.trim() === 'chunked')
      else if (name === 'connection') {
        const options = value.split(',').map((part) => part.trim())
        if (options.includes('close')) keepAlive = false
        else if (options.includes('keep-alive')) keepAlive = true
      }
    }
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    if (status >= 100 && status < 200) return
    this.status = status
    this.keepAlive = keepAlive
    if (status === 204 || status === 304) this.complete()
    else if (chunked) this.state = Body.ChunkSize
    else if (length !== undefined) {
      this.count(length)
      this.remaining = length
      this.state = Body.Length
      if (length === 0) this.complete()
    } else {
      this.keepAlive = false
      this.state = Body.UntilClose
    }
  }

  private count(bytes: number): void {
    this.bodyBytes += bytes
    if (this.bodyBytes > MAX_BODY_BYTES) throw new Error('the answer is too large')
  }

  private complete(): void {
    const pending = this.pending
    this.pending = undefined
    this.state = Body.Head
    // Bytes after the answer, or a server that closes: the connection is not used again.
    if (!this.keepAlive || this.text.length > 0) this.drop()
    else this.socket?.unref()
    if (pending === undefined) return
    clearTimeout(pending.timer)
    pending.resolve(this.status)
  }

  private ended(socket: Socket): void {
    if (socket !== this.socket) return
    if (this.pending !== undefined && this.state === Body.UntilClose) {
      this.complete()
      return
    }
    this.lost(socket, new Error('the connection closed before the answer'))
  }

  private lost(socket: Socket, error: Error): void {
    if (socket !== this.socket) return
    this.drop()
    const pending = this.pending
    if (pending === undefined) return
    // A kept-alive connection the server closed while idle: once more, on a new connection.
    if (pending.reused && !pending.answered && !pending.retried) {
      pending.retried = true
      this.send()
      return
    }
    this.fail(error)
  }

  private fail(error: Error): void {
    const pending = this.pending
    if (pending === undefined) return
    this.pending = undefined
    clearTimeout(pending.timer)
    // A request that got no whole answer leaves the connection in an unknown state.
    this.drop()
    pending.reject(error)
  }

  private drop(): void {
    const socket = this.socket
    this.socket = undefined
    this.used = false
    socket?.destroy()
  }
}
