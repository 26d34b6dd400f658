/**
 * @module error-groups/fingerprint
 * An error's fingerprint: what makes two errors "the same error" for grouping, counting and
 * alerting. It is the error's type, its code (ECONNREFUSED, a SQLSTATE) and its top application
 * frame (the first stack frame outside `node_modules`, Node's internals and Sightline itself, as a
 * path relative to the application's root: `src/routes/payments.ts:42` when source maps give the
 * .ts frames), hashed. Never the message: `payment 81723 declined` and `payment 90210 declined`
 * thrown at one place are one error.
 *
 * Computed on error paths only (a 5xx, a crash), once per error object: the access line, the span
 * and the counter of one request's error share the result.
 */
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { errorTypeName } from '../logging/access-log.js'

/** What an error is grouped by, and where it was thrown. */
export interface ErrorFingerprint {
  /** 16 hex digits of SHA-256 over type, code and frame. */
  readonly fingerprint: string
  /** The error's type (its name, or its class when the name says nothing), cut to 128 characters. */
  readonly type: string
  /** The top application frame, `src/routes/payments.ts:42`, or '' when the error has no stack. */
  readonly frame: string
  /** The frame's file and line, apart (`code.file.path`, `code.line.number` on the exception event). */
  readonly file: string
  readonly line: number
}

export interface FingerprinterOptions {
  /** The application's root: frames under it are written relative to it. Default `process.cwd()`. */
  root?: string
  /** Sightline's own package directory, whose frames are never the application's. */
  libraryRoot?: string
}

const MAX_TYPE = 128
const MAX_FRAME = 512
/** Frames looked at, at most: V8 keeps 10 by default, an application may raise it a lot. */
const MAX_FRAMES = 64
const FRAME_PREFIX = /^\s+at /
/** `path:line:column` at the end of a frame's location. */
const LOCATION = /^(.*?):(\d+):\d+$/

/**
 * Sightline's package directory: this file is `<package>/dist/src/core/error-groups/fingerprint.js`
 * (and `<package>/src/core/error-groups/fingerprint.ts` in source-mapped frames, under it too).
 */
const LIBRARY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/**
 * @example
 * const fingerprints = new Fingerprinter()
 * fingerprints.of(new Error('payment 81723 declined')).frame // 'src/routes/payments.ts:42'
 */
export class Fingerprinter {
  private readonly root: string
  private readonly libraryRoot: string
  /** One result per error object: the access line, the span and the counter ask for the same error. */
  private readonly cache = new WeakMap<object, ErrorFingerprint>()

  constructor(options: FingerprinterOptions = {}) {
    this.root = withSlash(normalisePath(options.root ?? process.cwd()))
    this.libraryRoot = withSlash(normalisePath(options.libraryRoot ?? LIBRARY_ROOT))
  }

  /** The fingerprint of `error` (anything thrown: a non-error value is grouped by its type alone). */
  of(error: unknown): ErrorFingerprint {
    const cacheable = (typeof error === 'object' && error !== null) || typeof error === 'function'
    if (cacheable) {
      const cached = this.cache.get(error as object)
      if (cached !== undefined) return cached
    }
    const result = this.compute(error)
    if (cacheable) this.cache.set(error as object, result)
    return result
  }

  private compute(error: unknown): ErrorFingerprint {
    let type: string
    let code = ''
    let stack: unknown
    if (error instanceof Error) {
      type = errorTypeName(error)
      const value = (error as { code?: unknown }).code
      if (typeof value === 'string' || typeof value === 'number') code = String(value).slice(0, MAX_TYPE)
      stack = error.stack
    } else {
      // As core/logging/access-log's serializeError names it.
      type = typeof error
    }
    type = type.slice(0, MAX_TYPE)
    const location = typeof stack === 'string' ? this.topFrame(stack) : undefined
    const file = location?.file ?? ''
    const line = location?.line ?? 0
    const frame = file === '' ? '' : `${file}:${line}`.slice(0, MAX_FRAME)
    const fingerprint = createHash('sha256').update(`${type}\n${code}\n${frame}`).digest('hex').slice(0, 16)
    return { fingerprint, type, frame, file, line }
  }

  /**
   * The first frame of the application's own code; failing that, the first one outside Sightline
   * (an error raised in `node:net` with no application frame still groups by where Node raised it).
   */
  private topFrame(stack: string): { file: string; line: number } | undefined {
    let fallback: { file: string; line: number } | undefined
    let seen = 0
    let start = 0
    while (start < stack.length && seen < MAX_FRAMES) {
      let end = stack.indexOf('\n', start)
      if (end === -1) end = stack.length
      const text = stack.slice(start, end)
      start = end + 1
      if (!FRAME_PREFIX.test(text)) continue
      seen++
      const location = frameLocation(text)
      if (location === undefined) continue
      const path = normalisePath(location.path)
      if (path.startsWith(this.libraryRoot)) continue
      const internal = path.startsWith('node:') || path.startsWith('internal/') || !path.includes('/')
      const dependency = path.includes('/node_modules/')
      const file = path.startsWith(this.root) ? path.slice(this.root.length) : path
      if (!internal && !dependency) return { file, line: location.line }
      fallback ??= { file, line: location.line }
    }
    return fallback
  }
}

/**
 * The location of one V8 stack frame: `at fn (path:1:2)`, `at path:1:2`, `at async fn (path:1:2)`;
 * `undefined` for `native`, `<anonymous>`, eval'd and `index 0` (Promise.all) frames.
 */
export function frameLocation(frame: string): { path: string; line: number } | undefined {
  let text = frame.trim().slice('at '.length)
  if (text.endsWith(')')) {
    const open = text.lastIndexOf('(')
    if (open !== -1) text = text.slice(open + 1, -1)
  }
  const match = LOCATION.exec(text)
  // An eval'd frame (`eval at fn (path:1:2), <anonymous>:3:4`) names no file of its own.
  if (match === null || text.includes('<anonymous>')) return undefined
  return { path: match[1] as string, line: Number(match[2]) }
}

/** A `file://` URL as a path; Windows separators as `/`, so a frame reads the same everywhere. */
function normalisePath(path: string): string {
  let out = path
  if (out.startsWith('file://')) {
    try {
      out = fileURLToPath(out)
    } catch {
      out = out.slice('file://'.length)
    }
  }
  return out.replace(/\\/g, '/')
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`
}
