/**
 * @module viewer
 * The Sightline viewer: a local OTLP receiver with traces, logs and golden-signal pages.
 */
export type { Attributes, ViewerLog, ViewerMetricPoint, ViewerSpan } from './model.js'
export type { ResolvedViewerOptions, ViewerOptions } from './options.js'
export { DEFAULT_VIEWER_HOST, DEFAULT_VIEWER_PORT, isLoopback } from './options.js'
export { parseOtlp } from './receiver.js'
export { startViewer, Viewer } from './server.js'
export { DEFAULT_LIMITS, type LogQuery, Store, type StoreLimits, type TraceQuery, type TraceSummary } from './store.js'
