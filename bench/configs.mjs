// @module bench/configs
// The configurations the harness compares. `baseline` marks the bare server of each framework;
// `path` is what wrk requests (default /users/42); `warmupFactor` multiplies the warm-up of
// bench/instructions.mjs.
// `otel` loads the OpenTelemetry auto-instrumentations (the peer stacks) at the given sampling ratio.
const OTEL_PRELOAD = ['--require', '@opentelemetry/auto-instrumentations-node/register']

const DOCTOR_PATH = '/api/patients/424242'
/**
 * doctor-api's route warms up on three times the requests in bench/instructions.mjs: at 10%
 * sampling, the code only sampled requests reach (cache spans, the Redis client's reply path under
 * a span) gets hot ten times slower, and with the common warm-up it was still being compiled in
 * the counted window (processes of one configuration 113,800–131,353 instructions per request).
 * All three doctor-api configurations get it, so that they compare like with like.
 */
const DOCTOR_WARMUP_FACTOR = 3

export const CONFIGS = [
  { name: 'fastify bare', server: 'fastify', mode: 'bare', baseline: true },
  { name: 'fastify + sightline ids only', server: 'fastify', mode: 'sightline-ids' },
  { name: 'fastify + sightline access log only', server: 'fastify', mode: 'sightline-logs' },
  { name: 'fastify + sightline metrics only', server: 'fastify', mode: 'sightline-metrics' },
  { name: 'fastify + sightline ids+logs+metrics', server: 'fastify', mode: 'sightline' },
  {
    name: 'fastify + sightline all pillars, tracing 0%',
    server: 'fastify',
    mode: 'sightline-trace',
    otel: { ratio: 0 },
  },
  {
    name: 'fastify + sightline all pillars, tracing 10%, no log export',
    server: 'fastify',
    mode: 'sightline-trace',
    otel: { ratio: 0.1 },
  },
  // What users run with only OTEL_EXPORTER_OTLP_ENDPOINT set: traces and log lines exported. (The
  // other configurations with an endpoint run with OTEL_LOGS_EXPORTER=none, see bench/lib.mjs.)
  {
    name: 'fastify + sightline all pillars, tracing 10%, log export on',
    server: 'fastify',
    mode: 'sightline-trace',
    otel: { ratio: 0.1, logs: true },
  },
  {
    name: 'fastify + sightline all pillars, tracing 100%',
    server: 'fastify',
    mode: 'sightline-trace',
    otel: { ratio: 1 },
  },
  // The same, with batches sent from the application's thread instead of the export worker.
  {
    name: 'fastify + sightline all pillars, tracing 10%, export in the main thread',
    server: 'fastify',
    mode: 'sightline-trace',
    otel: { ratio: 0.1 },
    env: { SIGHTLINE_EXPORT_THREAD: 'main' },
  },
  {
    name: 'fastify + sightline all pillars, tracing 100%, export in the main thread',
    server: 'fastify',
    mode: 'sightline-trace',
    otel: { ratio: 1 },
    env: { SIGHTLINE_EXPORT_THREAD: 'main' },
  },
  {
    name: 'fastify zero-code (--import sightline/register), tracing 10%',
    server: 'fastify',
    mode: 'bare',
    otel: { ratio: 0.1 },
    nodeArgs: ['--import', 'sightline/register'],
    env: { SIGHTLINE_OPS_PORT: '0' },
  },
  { name: 'fastify + its own logger', server: 'fastify', mode: 'fastify-logger' },
  {
    name: 'fastify peer: logger + fastify-metrics + OTel auto 10%',
    server: 'fastify',
    mode: 'peer',
    otel: { ratio: 0.1 },
    nodeArgs: OTEL_PRELOAD,
  },
  { name: 'express bare', server: 'express', mode: 'bare', baseline: true },
  { name: 'express + sightline ids+logs+metrics', server: 'express', mode: 'sightline' },
  {
    name: 'express + sightline all pillars, tracing 10%',
    server: 'express',
    mode: 'sightline-trace',
    otel: { ratio: 0.1 },
  },
  {
    name: 'express peer: pino-http + express-prom-bundle + OTel auto 10%',
    server: 'express',
    mode: 'peer',
    otel: { ratio: 0.1 },
    nodeArgs: OTEL_PRELOAD,
  },
  // The realistic route: a Redis cache in front of Postgres (bench/servers/doctor-api.mjs).
  {
    name: 'doctor-api GET /api/patients/:id without Sightline',
    server: 'doctor-api',
    mode: 'bare',
    baseline: true,
    path: DOCTOR_PATH,
    warmupFactor: DOCTOR_WARMUP_FACTOR,
  },
  {
    name: 'doctor-api GET /api/patients/:id, Sightline without tracing',
    server: 'doctor-api',
    mode: 'sightline',
    path: DOCTOR_PATH,
    warmupFactor: DOCTOR_WARMUP_FACTOR,
  },
  {
    name: 'doctor-api GET /api/patients/:id, all of Sightline, tracing 10%',
    server: 'doctor-api',
    mode: 'sightline-trace',
    otel: { ratio: 0.1 },
    path: DOCTOR_PATH,
    warmupFactor: DOCTOR_WARMUP_FACTOR,
  },
  // Hono and Koa, bare and with all of Sightline at 10% (the Fastify target's configuration:
  // traces exported, log export off), held to the same ≥ 0.80 of bare (bench/targets.mjs). Hono's
  // row is the recommended form (the app given to instrumentHonoServer, no middleware); the
  // middleware form's row shows what one middleware costs a Hono app that had none.
  { name: 'hono bare', server: 'hono', mode: 'bare', baseline: true },
  {
    name: 'hono + sightline all pillars, tracing 10%',
    server: 'hono',
    mode: 'sightline-trace',
    otel: { ratio: 0.1 },
  },
  {
    name: 'hono + sightline all pillars, tracing 10%, as a middleware',
    server: 'hono',
    mode: 'sightline-middleware',
    otel: { ratio: 0.1 },
  },
  { name: 'koa bare', server: 'koa', mode: 'bare', baseline: true },
  {
    name: 'koa + sightline all pillars, tracing 10%',
    server: 'koa',
    mode: 'sightline-trace',
    otel: { ratio: 0.1 },
  },
  { name: 'http bare', server: 'http', mode: 'bare', baseline: true },
  { name: 'http + sightline ids+logs+metrics', server: 'http', mode: 'sightline' },
]

/**
 * The configurations whose names start with one of `filter`'s comma-separated prefixes (all when
 * it is undefined), each with the bare server of its framework beside it.
 */
export function selectConfigs(filter) {
  // Prefixes are separated by a comma; a comma and a space belong to a name ('…, tracing 10%').
  const wanted = filter?.split(/,(?! )/).map((part) => part.trimStart())
  const chosen = CONFIGS.filter((c) => wanted === undefined || wanted.some((part) => c.name.startsWith(part)))
  return CONFIGS.filter((c) => chosen.includes(c) || (c.baseline && chosen.some((o) => o.server === c.server)))
}
