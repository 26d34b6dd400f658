/**
 * @module logging-otlp
 * Sightline's log lines over OTLP/HTTP (protobuf, sent from a worker thread), beside stdout: on
 * when an OTLP endpoint is configured.
 */
export { type EncodedLogs, LogEncoder } from './encode-protobuf.js'
export { logsEndpointFromEnv, otlpLogExporterFromEnv, parseOtlpHeaders } from './from-env.js'
export { type LogDropReason, OtlpLogTee, type OtlpLogTeeOptions, type OtlpLogTeeStats } from './otlp-log-tee.js'
