/**
 * @module core/otlp/post.test
 * The export workers' POST against real servers: node:http's (kept alive, chunked answers, idle
 * closes, `Connection: close`, errors, silence) and raw sockets answering in ways node:http does
 * not (interim answers, answers split byte by byte, bodies to the connection's end, garbage).
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { otlpPoster } from './post.js'

interface Seen {
  body: Buffer
  headers: IncomingMessage['headers']
  socket: Socket
}

async function httpServer(answer: (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void) {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      seen.push({ body: Buffer.concat(chunks), headers: req.headers, socket: req.socket })
      answer(req, res, seen)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs?tenant=a` }
}

/** A server that reads one request (head and body by content-length) and writes `reply` for it. */
async function rawServer(reply: (socket: Socket, requestIndex: number) => void) {
  let requests = 0
  const server = createNetServer((socket) => {
    rawSockets.add(socket)
    let text = ''
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      for (;;) {
        const end = text.indexOf('\r\n\r\n')
        if (end === -1) return
        const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0)
        if (text.length < end + 4 + length) return
        text = text.slice(end + 4 + length)
        reply(socket, requests++)
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs` }
}

const servers: (Server | NetServer)[] = []
const rawSockets = new Set<Socket>()
after(() => {
  for (const socket of rawSockets) socket.destroy()
  for (const server of servers) {
    ;(server as Server).closeAllConnections?.()
    server.close()
  }
})

const target = (url: string, timeoutMs = 2000, headers: Record<string, string> = {}) => ({ url, headers, timeoutMs })

describe('otlpPoster over plain HTTP (its own kept-alive connection)', () => {
  it('posts the bytes with their headers, and keeps one connection for request after request', async () => {
    const { server, seen, url } = await httpServer((_req, res) => res.writeHead(200).end())
    servers.push(server)
    const post = otlpPoster(target(url, 2000, { Authorization: 'Bearer t0k', 'x-tenant': 't1' }), 'log')
    const bodies = [Buffer.from([1, 2, 3]), Buffer.alloc(300_000, 7), Buffer.from([])]
    for (const body of bodies) await post(body)
    assert.equal(seen.length, 3)
    for (const [i, request] of seen.entries()) {
      assert.deepEqual(request.body, bodies[i])
      assert.equal(request.headers['content-type'], 'application/x-protobuf')
      assert.equal(request.headers['content-length'], String(bodies[i]?.length))
      assert.equal(request.headers.authorization, 'Bearer t0k')
      assert.equal(request.headers['x-tenant'], 't1')
      assert.match(String(request.headers.host), /^127\.0\.0\.1:\d+$/)
    }
    assert.ok(
      seen.every((request) => request.socket === seen[0]?.socket),
      'one connection for all',
    )
  })

  it('posts to the path and query of the URL', async () => {
    let path = ''
    const { server, url } = await httpServer((req, res) => {
      path = req.url ?? ''
      res.end()
    })
    servers.push(server)
    await otlpPoster(target(url), 'log')(Buffer.from('x'))
    assert.equal(path, '/v1/logs?tenant=a')
  })

  it('rejects an answer that is not 2xx with its status, and goes on afterwards', async () => {
    let status = 503
    const { server, url } = await httpServer((_req, res) => res.writeHead(status).end('busy'))
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    await assert.rejects(post(Buffer.from('a')), /log export to .* answered HTTP 503/)
    status = 200
    await post(Buffer.from('b'))
  })

  it('reads chunked answers to their end and reuses the connection', async () => {
    const { server, seen, url } = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' })
      res.write(Buffer.alloc(10, 1))
      setTimeout(() => res.end(Buffer.alloc(70_000, 2)), 5)
    })
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    for (let i = 0; i < 3; i++) await post(Buffer.from([i]))
    assert.equal(seen.length, 3)
    assert.ok(seen.every((request) => request.socket === seen[0]?.socket))
  })

  it('opens a new connection after the server closed an idle one, without failing the request', async () => {
    const { server, seen, url } = await httpServer((_req, res) => res.end())
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    await post(Buffer.from('1'))
    seen[0]?.socket.destroy()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await post(Buffer.from('2'))
    assert.equal(seen.length, 2)
    assert.notEqual(seen[0]?.socket, seen[1]?.socket)
  })

  it('sends a request again, once, when a reused connection closes before any answer', async () => {
    // The second request on the first connection meets a server that closed it (as one whose
    // idle timeout fired while the request was on its way); the third goes on a new connection.
    const { server, url } = await rawServer((socket, i) => {
      if (i === 1) socket.destroy()
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')
    })
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    await post(Buffer.from('1'))
    await post(Buffer.from('2'))
    // A request on a new connection that closes is not sent again.
    const first = await rawServer((socket) => socket.destroy())
    servers.push(first.server)
    await assert.rejects(otlpPoster(target(first.url), 'log')(Buffer.from('x')), /closed before the answer|ECONNRESET/)
  })

  it('honours Connection: close (a new connection for the next request)', async () => {
    const { server, seen, url } = await httpServer((_req, res) => res.writeHead(200, { connection: 'close' }).end())
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    await post(Buffer.from('1'))
    await post(Buffer.from('2'))
    assert.equal(seen.length, 2)
    assert.notEqual(seen[0]?.socket, seen[1]?.socket)
  })

  it('fails a server that never answers within the timeout, and a refused connection', async () => {
    const { server, url } = await httpServer(() => undefined)
    servers.push(server)
    const started = Date.now()
    await assert.rejects(otlpPoster(target(url, 200), 'log')(Buffer.from('x')), /timed out after 200 ms/)
    assert.ok(Date.now() - started < 1500)
    const closed = createNetServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await assert.rejects(
      otlpPoster(target(`http://127.0.0.1:${port}/v1/logs`), 'metric')(Buffer.from('x')),
      /ECONNREFUSED/,
    )
  })

  it('sends posts made at once one after another, each answered', async () => {
    const { server, seen, url } = await httpServer((_req, res) => setTimeout(() => res.end(), 5))
    servers.push(server)
    const post = otlpPoster(target(url), 'metric')
    await Promise.all([1, 2, 3, 4].map((n) => post(Buffer.from([n]))))
    assert.deepEqual(
      seen.map((request) => request.body[0]),
      [1, 2, 3, 4],
    )
  })

  it('refuses a header with CR or LF at construction: nothing can be smuggled into the head', () => {
    assert.throws(() => otlpPoster(target('http://127.0.0.1:1/v1/logs', 1000, { 'x-a': 'b\r\nx-evil: 1' }), 'log'))
    assert.throws(() => otlpPoster(target('http://127.0.0.1:1/v1/logs', 1000, { 'x a': 'b' }), 'log'))
  })

  it('reads interim answers, answers split byte by byte, and bodies that end with the connection', async () => {
    const answers = [
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nx-trailer: 1\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n\r\n',
    ]
    const { server, url } = await rawServer((socket, i) => {
      const answer = Buffer.from(answers[i % answers.length] as string, 'latin1')
      // One byte at a time: every state of the parser sees a partial answer.
      let at = 0
      const next = () => {
        if (at < answer.length) {
          socket.write(answer.subarray(at, ++at))
          setImmediate(next)
        }
      }
      next()
    })
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    for (let i = 0; i < answers.length * 2; i++) await post(Buffer.from([i]))

    const untilClose = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nbody to the end'))
    servers.push(untilClose.server)
    const once = otlpPoster(target(untilClose.url), 'log')
    await once(Buffer.from('1'))
    await once(Buffer.from('2'))
  })

  it('fails answers that are not HTTP, or not whole, and recovers on a new connection', async () => {
    const replies = [
      'SSH-2.0-OpenSSH\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
    ]
    const { server, url } = await rawServer((socket, i) => {
      const reply = replies[i] as string
      // A cut answer: the head promises 10 bytes, the connection ends after 3.
      if (i === 0) socket.end(reply)
      else socket.write(reply)
    })
    servers.push(server)
    const post = otlpPoster(target(url), 'log')
    await assert.rejects(post(Buffer.from('a')), /not HTTP/)
    await assert.rejects(post(Buffer.from('b')), /content-length/)
    await assert.rejects(post(Buffer.from('c')), /hexadecimal/)
    await post(Buffer.from('d'))

    const cut = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'))
    servers.push(cut.server)
    await assert.rejects(otlpPoster(target(cut.url), 'log')(Buffer.from('x')), /closed before the answer/)
  })
})
