/**
 * @module routes
 * Per-route state resolved once: the route's label, its escaped log value and its metric series,
 * so that the hot path does a Map lookup on a number and nothing else.
 */
import { KNOWN_METHODS, OTHER_METHOD, UNMATCHED_ROUTE } from '../constants.js'
import { flatString, jsonString } from '../logging/json.js'
import type { HistogramChild } from '../metrics/histogram.js'

/** Index of each standard method; anything else is `_OTHER` (the last index). */
const METHOD_INDEX = new Map<string, number>(KNOWN_METHODS.map((method, i) => [method, i]))
export const OTHER_METHOD_INDEX = KNOWN_METHODS.length
export const METHOD_NAMES: readonly string[] = [...KNOWN_METHODS, OTHER_METHOD]

export function methodIndex(method: string | undefined): number {
  return (method === undefined ? undefined : METHOD_INDEX.get(method)) ?? OTHER_METHOD_INDEX
}

export class RouteState {
  readonly template: string
  /** The template as a JSON string literal, quotes included. */
  readonly logValue: string
  /** Histogram series by `methodIndex * 1000 + status`. */
  readonly series = new Map<number, HistogramChild>()
  /** The access line's method, route and path key, by method index: see `accessFields`. */
  private readonly fields: string[] = []
  /** A sampled request's span name, `GET /users/:id`, by method index. */
  private readonly spanNames: string[] = []
  /**
   * Log export's route keys by method index, kept here for the capture that met this route first
   * (`exportOwner`, logging-otlp/access-capture): a slot read per record instead of a Map lookup.
   */
  readonly exportKeys: number[] = []
  exportOwner: object | undefined = undefined

  constructor(template: string) {
    this.template = template
    this.logValue = jsonString(template)
  }

  /**
   * `","method":"GET","route":"/users/:id","path":"` for the access line, made once per method:
   * the line is built from fewer pieces (each piece of a concatenation costs ~45 instructions under
   * callgrind, and the rope is flattened again later). It closes the request id's quote and opens
   * the path's.
   */
  accessFields(method: number): string {
    let fields = this.fields[method]
    if (fields === undefined) {
      fields = flatString(`","method":"${METHOD_NAMES[method]}","route":${this.logValue},"path":"`)
      this.fields[method] = fields
    }
    return fields
  }

  /**
   * The server span's name for this route and method, made once per method: a sampled request
   * would otherwise concatenate it, and the span encoder flatten it, every time.
   */
  spanName(method: number): string {
    let name = this.spanNames[method]
    if (name === undefined) {
      name = flatString(`${METHOD_NAMES[method]} ${this.template}`)
      this.spanNames[method] = name
    }
    return name
  }
}

/** Route states by template; bounded by the routes an application declares. */
export class RouteTable {
  private readonly routes = new Map<string, RouteState>()
  readonly unmatched = new RouteState(UNMATCHED_ROUTE)

  get(template: string | undefined): RouteState {
    if (template === undefined || template === '') return this.unmatched
    let state = this.routes.get(template)
    if (state === undefined) {
      state = new RouteState(template)
      this.routes.set(template, state)
    }
    return state
  }
}
