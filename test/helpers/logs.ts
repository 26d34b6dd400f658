/**
 * @module test/helpers/logs
 * Captures log lines written to a stream and parses them back into objects, as a user's log
 * pipeline would; a line that is not valid JSON fails the test that reads it.
 */
import { Writable } from 'node:stream'

export type LogLine = Record<string, unknown>

export class LogCapture extends Writable {
  private buffer = ''
  readonly raw: string[] = []

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.buffer += chunk.toString()
    let newline = this.buffer.indexOf('\n')
    while (newline !== -1) {
      this.raw.push(this.buffer.slice(0, newline))
      this.buffer = this.buffer.slice(newline + 1)
      newline = this.buffer.indexOf('\n')
    }
    callback()
  }

  /** Every complete line, parsed. Throws on a line that is not one JSON object. */
  get lines(): LogLine[] {
    return this.raw.map((line) => JSON.parse(line) as LogLine)
  }

  /** Lines whose `msg` is `msg`. */
  withMessage(msg: string): LogLine[] {
    return this.lines.filter((line) => line.msg === msg)
  }

  /** Waits until `predicate` holds for some line (lines are written asynchronously). */
  async waitFor(predicate: (line: LogLine) => boolean, timeoutMs = 2000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.lines.find(predicate)
      if (found !== undefined) return found
      if (Date.now() > deadline)
        throw new Error(`no log line matched within ${timeoutMs} ms; lines:\n${this.raw.join('\n')}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
}
