/**
 * @module test/helpers/process
 * Reads a child process' stdout as JSON log lines, as a log shipper would.
 */
import type { ChildProcess } from 'node:child_process'

export type JsonLine = Record<string, unknown>

/** Collects every line into the returned array and calls `onLine` for each as it arrives. */
export function collectJsonLines(child: ChildProcess, onLine: (line: JsonLine) => void = () => {}): JsonLine[] {
  const lines: JsonLine[] = []
  let buffer = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const line = JSON.parse(buffer.slice(0, newline)) as JsonLine
      buffer = buffer.slice(newline + 1)
      lines.push(line)
      onLine(line)
    }
  })
  return lines
}
