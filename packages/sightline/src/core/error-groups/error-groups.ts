/**
 * @module error-groups/error-groups
 * What Sightline does with an error once a request failed with it (a 5xx) or it crashed the
 * process: fingerprints it (error-groups/fingerprint) for the access line, the fatal line and the
 * span's exception event, and counts it in `sightline_errors_total{error_type,http_route}`.
 * Called on error paths only; a successful request never reaches this file.
 */
import { LABEL_HTTP_ROUTE, METRIC_ERRORS } from '../constants.js'
import type { Counter } from '../metrics/counter.js'
import type { Registry } from '../metrics/registry.js'
import { LABEL_ERROR_TYPE } from '../pipeline/refused.js'
import { type ErrorFingerprint, Fingerprinter, type FingerprinterOptions } from './fingerprint.js'

/** The route label of a crash outside any request (a timer, start-up): one fixed value. */
export const NO_ROUTE = 'none'

/**
 * @example
 * const errors = new ErrorGroups(registry)
 * errors.request(error, '/payments/:id', 500) // { fingerprint: '3f…', frame: 'src/routes/payments.ts:42', … }
 */
export class ErrorGroups {
  private readonly counter: Counter | undefined
  private readonly fingerprints: Fingerprinter

  /** Without a registry (metrics off) errors are fingerprinted and not counted. */
  constructor(registry: Registry | undefined, options: FingerprinterOptions = {}) {
    this.fingerprints = new Fingerprinter(options)
    this.counter = registry?.counter({
      name: METRIC_ERRORS,
      help: "Errors: server-error (5xx) responses, by the error's type (the status code when no error was reported), and crashes (uncaught exceptions, unhandled rejections; route `none` outside requests).",
      labelNames: [LABEL_ERROR_TYPE, LABEL_HTTP_ROUTE],
    })
  }

  /**
   * A request answered with `status` ≥ 500: counted, and its error (when the framework reported
   * one) fingerprinted.
   */
  request(error: unknown, route: string, status: number): ErrorFingerprint | undefined {
    const fingerprint = error === undefined ? undefined : this.fingerprints.of(error)
    this.counter?.inc({ [LABEL_ERROR_TYPE]: fingerprint?.type ?? String(status), [LABEL_HTTP_ROUTE]: route })
    return fingerprint
  }

  /** A crash, in the request of `route` or (`undefined`) outside any. */
  crash(error: unknown, route: string | undefined): ErrorFingerprint {
    const fingerprint = this.fingerprints.of(error)
    // The type is cut to 128 characters (error-groups/fingerprint); the series cap bounds how many.
    this.counter?.inc({ [LABEL_ERROR_TYPE]: fingerprint.type, [LABEL_HTTP_ROUTE]: route ?? NO_ROUTE })
    return fingerprint
  }
}
