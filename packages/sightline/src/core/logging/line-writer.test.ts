import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { LineWriter } from './line-writer.js'

const dir = mkdtempSync(join(tmpdir(), 'sightline-line-writer-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let fifos = 0

/** A FIFO whose write end is non-blocking, so a full pipe answers EAGAIN and writes can be partial. */
function openPipe(): { writeFd: number; readFd: number; path: string } {
  const path = join(dir, `fifo-${fifos++}`)
  execFileSync('mkfifo', [path])
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)
  return { writeFd, readFd, path }
}

/** Reads what the pipe holds now, at most `max` bytes (raw: a chunk may end inside a character). */
function readAvailable(fd: number, max = 1 << 20): Buffer {
  const buffer = Buffer.alloc(max)
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, max, null))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return Buffer.alloc(0)
    throw error
  }
}

const lineOf = (i: number) => `{"i":${i},"msg":"ünïcødé 😀 ${'x'.repeat(i % 97)}"}\n`

for (const sync of [false, true]) {
  const mode = sync ? 'synchronous writes' : 'threadpool writes'

  test(`${mode}: every line arrives, in order, through a pipe that is full most of the time (EAGAIN, partial writes)`, async () => {
    const { writeFd, readFd } = openPipe()
    const writer = new LineWriter({ fd: writeFd, sync, batchChars: 16000, flushMs: 50, maxBufferedChars: 8 << 20 })
    const expected: string[] = []
    for (let i = 0; i < 20000; i++) expected.push(lineOf(i))
    const received: Buffer[] = []
    // A slow reader: 4 KB a millisecond, against 2.4 MB written at once into a 64 KB pipe.
    const reader = setInterval(() => {
      received.push(readAvailable(readFd, 4096))
    }, 1)
    try {
      for (const line of expected) assert.equal(writer.write(line), true)
      await writer.flush()
    } finally {
      clearInterval(reader)
    }
    received.push(readAvailable(readFd))
    const text = Buffer.concat(received).toString('utf8')
    assert.equal(text.length, expected.join('').length)
    assert.equal(text, expected.join(''))
    closeSync(writeFd)
    closeSync(readFd)
  })

  test(`${mode}: a stalled destination costs bounded memory: lines beyond the limit are dropped and counted, never thrown`, async () => {
    const { writeFd, readFd } = openPipe()
    let dropped = 0
    const writer = new LineWriter({
      fd: writeFd,
      sync,
      batchChars: 16000,
      flushMs: 50,
      maxBufferedChars: 100_000,
      onDrop: (lines) => {
        dropped += lines
      },
    })
    const accepted: string[] = []
    for (let i = 0; i < 10000; i++) if (writer.write(lineOf(i))) accepted.push(lineOf(i))
    assert.ok(dropped > 0, 'lines beyond the buffer limit are dropped')
    assert.equal(accepted.length + dropped, 10000)
    // The reader comes back: what was accepted arrives whole and in order.
    const received: Buffer[] = []
    const reader = setInterval(() => {
      received.push(readAvailable(readFd))
    }, 1)
    await writer.flush()
    clearInterval(reader)
    received.push(readAvailable(readFd))
    assert.equal(Buffer.concat(received).toString('utf8'), accepted.join(''))
    closeSync(writeFd)
    closeSync(readFd)
  })

  test(`${mode}: a destination that goes away (EPIPE) drops lines, counts them, and never throws`, async () => {
    const { writeFd, readFd } = openPipe()
    closeSync(readFd)
    let dropped = 0
    const writer = new LineWriter({
      fd: writeFd,
      sync,
      batchChars: 100,
      flushMs: 50,
      maxBufferedChars: 1 << 20,
      onDrop: (lines) => {
        dropped += lines
      },
    })
    for (let i = 0; i < 50; i++) writer.write(lineOf(i))
    await writer.flush()
    assert.equal(writer.write(lineOf(51)), false, 'a broken destination refuses further lines')
    assert.ok(dropped >= 1, `drops counted (${dropped})`)
    writer.flushSync()
    closeSync(writeFd)
  })

  test(`${mode}: a lone line is written within flushMs, without anyone flushing`, async () => {
    const path = join(dir, `lone-${mode}.log`)
    const fd = openSync(path, 'w')
    const writer = new LineWriter({ fd, sync, batchChars: 16000, flushMs: 30, maxBufferedChars: 1 << 20 })
    writer.write('{"msg":"alone"}\n')
    assert.equal(readFileSync(path, 'utf8'), '', 'batched, not written at once')
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(readFileSync(path, 'utf8'), '{"msg":"alone"}\n')
    // And again after the timer has fired once: it is re-armed, not spent.
    writer.write('{"msg":"again"}\n')
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(readFileSync(path, 'utf8'), '{"msg":"alone"}\n{"msg":"again"}\n')
    closeSync(fd)
  })
}

test('process.exit() right after logging loses no line: the logger flushes stdout synchronously at exit', async () => {
  const logger = fileURLToPath(new URL('./logger.js', import.meta.url))
  const script = `
    import { createLogger } from ${JSON.stringify(logger)}
    const { logger } = createLogger({ level: 'info', service: 'exit', pretty: false, redact: [] })
    for (let i = 0; i < 20000; i++) logger.info({ i }, 'line')
    process.exit(0)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const code = await new Promise((resolve) => child.on('close', resolve))
  assert.equal(code, 0)
  const lines = output.trim().split('\n')
  assert.equal(lines.length, 20000)
  lines.forEach((line, i) => {
    assert.equal(JSON.parse(line).i, i)
  })
})
