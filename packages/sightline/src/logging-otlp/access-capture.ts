/**
 * @module logging-otlp/access-capture
 * The access line's values, kept for export in the application's thread: numbers into typed arrays,
 * the request's strings (its id, its path, its trace ids and error when it has them) into one array,
 * joined into one text per batch (the worker then reads one string, not a thousand), the route and
 * method as a small key. Nothing is encoded here: the batch goes to the log export worker (its
 * arrays transferred), whose `AccessRecordWriter` writes the OTLP LogRecords. A request pays a few
 * stores and pushes for its record, not an encoding.
 */
import type { RouteState } from '../core/pipeline/routes.js'

/** Numbers a record keeps: its time (ms), its duration (ms), its request and response sizes (-1: none). */
export const NUMBERS_PER_RECORD = 4
/**
 * Integers a record keeps: its status, its level and flags (`FLAG_*`), its route key, then the
 * lengths of its strings in the batch's text: request id, path, trace id, span id, trace flags, error
 * (0 for those it has not).
 */
export const INTS_PER_RECORD = 9
/** The low byte of a record's second integer is its pino level; these bits follow it. */
export const FLAG_ABORTED = 1 << 8
/** Its trace id, span id and trace flags follow its path in the strings. */
export const FLAG_TRACED = 1 << 9
/** Its error, as the line serialised it, is its last string. */
export const FLAG_ERROR = 1 << 10
/** What a record's numbers, integers and array slots hold in memory beside its strings' characters. */
const RECORD_OVERHEAD_BYTES = NUMBERS_PER_RECORD * 8 + INTS_PER_RECORD * 4 + 32

/** A route key's meaning, sent once with the first batch that uses it (again to a new worker). */
export type RouteEntry = [key: number, methodName: string, template: string]

/** Access records' values, as they cross to the worker. */
export interface AccessBatch {
  count: number
  numbers: Float64Array
  ints: Int32Array
  /** The records' strings back to back, their lengths in `ints`. */
  text: string
  /** Route keys this batch is the first to use (for the worker it goes to). */
  routes: RouteEntry[]
}

/** Where the access log hands its records when log export is on (the log tee). */
export interface AccessRecordSink {
  /** Where the line itself goes: stdout, without queuing it for export (its record is). */
  readonly destination: { write(line: string): unknown }
  /**
   * The capture to `add` one record to, or `undefined` when the export queue is full (the sink
   * counts the drop). `endRecord` must follow an `add`, synchronously.
   */
  beginRecord(): AccessCapture | undefined
  endRecord(): void
}

/** The records captured since the last batch was taken; bounded by the caller (`count`, `bytes`). */
export class AccessCapture {
  /** Records held, and the memory they hold (numbers, integers, string characters). */
  count = 0
  bytes = 0
  private numbers: Float64Array
  private ints: Int32Array
  private strings: string[] = []
  private readonly keys = new Map<RouteState, number[]>()
  private readonly routes: RouteEntry[] = []
  /** Entries of `routes` the current worker has been sent. */
  private routesSent = 0

  constructor(initialRecords = 512) {
    this.numbers = new Float64Array(initialRecords * NUMBERS_PER_RECORD)
    this.ints = new Int32Array(initialRecords * INTS_PER_RECORD)
  }

  add(
    level: number,
    millis: number,
    requestId: string,
    traceId: string | undefined,
    spanId: string | undefined,
    traceFlags: string | undefined,
    route: RouteState,
    method: number,
    methodName: string,
    path: string,
    status: number,
    durationMs: number,
    requestBytes: number | undefined,
    responseBytes: number | undefined,
    aborted: boolean,
    errorJson: string | undefined,
  ): void {
    const i = this.count
    if ((i + 1) * NUMBERS_PER_RECORD > this.numbers.length) this.grow()
    const n = i * NUMBERS_PER_RECORD
    const numbers = this.numbers
    numbers[n] = millis
    numbers[n + 1] = durationMs
    numbers[n + 2] = requestBytes ?? -1
    numbers[n + 3] = responseBytes ?? -1
    let bits = level
    const strings = this.strings
    const ints = this.ints
    const k = i * INTS_PER_RECORD
    strings.push(requestId, path)
    ints[k + 3] = requestId.length
    ints[k + 4] = path.length
    let chars = requestId.length + path.length
    if (traceId !== undefined && spanId !== undefined) {
      bits |= FLAG_TRACED
      const flags = traceFlags ?? '00'
      strings.push(traceId, spanId, flags)
      ints[k + 5] = traceId.length
      ints[k + 6] = spanId.length
      ints[k + 7] = flags.length
      chars += traceId.length + spanId.length + flags.length
    } else {
      ints[k + 5] = 0
      ints[k + 6] = 0
      ints[k + 7] = 0
    }
    if (aborted) bits |= FLAG_ABORTED
    if (errorJson !== undefined) {
      bits |= FLAG_ERROR
      strings.push(errorJson)
      chars += errorJson.length
    }
    ints[k + 8] = errorJson === undefined ? 0 : errorJson.length
    ints[k] = status
    ints[k + 1] = bits
    ints[k + 2] = this.routeKey(route, method, methodName)
    this.count = i + 1
    this.bytes += RECORD_OVERHEAD_BYTES + chars * 2
  }

  /**
   * The first `max` records (all, by default), in arrays of their own (to transfer); the rest stay
   * for the next batch.
   */
  take(max = Number.POSITIVE_INFINITY): AccessBatch | undefined {
    const count = this.count
    if (count === 0 || max <= 0) return undefined
    const taken = Math.min(count, max)
    let strings = this.strings
    let rest: string[] = []
    if (taken < count) {
      // A backlog past one batch (the worker was busy): the first records' strings go now.
      let used = 0
      for (let i = 0; i < taken; i++) {
        const bits = this.ints[i * INTS_PER_RECORD + 1] as number
        used += 2 + ((bits & FLAG_TRACED) !== 0 ? 3 : 0) + ((bits & FLAG_ERROR) !== 0 ? 1 : 0)
      }
      rest = strings.slice(used)
      strings = strings.slice(0, used)
    }
    const batch: AccessBatch = {
      count: taken,
      numbers: this.numbers.slice(0, taken * NUMBERS_PER_RECORD),
      ints: this.ints.slice(0, taken * INTS_PER_RECORD),
      text: strings.join(''),
      routes: this.routes.slice(this.routesSent),
    }
    this.routesSent = this.routes.length
    this.strings = rest
    if (taken < count) {
      this.numbers.copyWithin(0, taken * NUMBERS_PER_RECORD, count * NUMBERS_PER_RECORD)
      this.ints.copyWithin(0, taken * INTS_PER_RECORD, count * INTS_PER_RECORD)
      // Memory held, shared out by count: the bound it serves is approximate anyway.
      this.bytes = Math.round((this.bytes * (count - taken)) / count)
    } else this.bytes = 0
    this.count = count - taken
    return batch
  }

  /** A new worker knows no route key: the next batch carries all of them. */
  forgetSentRoutes(): void {
    this.routesSent = 0
  }

  private routeKey(route: RouteState, method: number, methodName: string): number {
    let byMethod: number[] | undefined
    if (route.exportOwner === this) byMethod = route.exportKeys
    else if (route.exportOwner === undefined) {
      route.exportOwner = this
      byMethod = route.exportKeys
    } else {
      // A route another capture met first (two exporters over one route table).
      byMethod = this.keys.get(route)
      if (byMethod === undefined) {
        byMethod = []
        this.keys.set(route, byMethod)
      }
    }
    let key = byMethod[method]
    if (key === undefined) {
      key = this.routes.length
      this.routes.push([key, methodName, route.template])
      byMethod[method] = key
    }
    return key
  }

  private grow(): void {
    const numbers = new Float64Array(this.numbers.length * 2)
    numbers.set(this.numbers)
    this.numbers = numbers
    const ints = new Int32Array(this.ints.length * 2)
    ints.set(this.ints)
    this.ints = ints
  }
}
