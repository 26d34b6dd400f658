/**
 * @module logging-otlp
 * Sightline's log lines over OTLP/HTTP (JSON), beside stdout: on when an OTLP endpoint is configured.
 */
export { encodeLogLines } from './encode.js'
export { logsEndpointFromEnv, otlpLogExporterFromEnv, parseOtlpHeaders } from './from-env.js'
export { type LogDropReason, OtlpLogTee, type OtlpLogTeeOptions, type OtlpLogTeeStats } from './otlp-log-tee.js'
