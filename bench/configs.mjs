// @module bench/configs
// The configurations the harness compares. `baseline` marks the bare server of each framework.
// `otel` loads the OpenTelemetry auto-instrumentations (the peer stacks) at the given sampling ratio.
const OTEL_PRELOAD = ['--require', '@opentelemetry/auto-instrumentations-node/register']

export const CONFIGS = [
  { name: 'fastify bare', server: 'fastify', mode: 'bare', baseline: true },
  { name: 'fastify + sightline ids only', server: 'fastify', mode: 'sightline-ids' },
  { name: 'fastify + sightline access log only', server: 'fastify', mode: 'sightline-logs' },
  { name: 'fastify + sightline metrics only', server: 'fastify', mode: 'sightline-metrics' },
  { name: 'fastify + sightline ids+logs+metrics', server: 'fastify', mode: 'sightline' },
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
    name: 'express peer: pino-http + express-prom-bundle + OTel auto 10%',
    server: 'express',
    mode: 'peer',
    otel: { ratio: 0.1 },
    nodeArgs: OTEL_PRELOAD,
  },
  { name: 'http bare', server: 'http', mode: 'bare', baseline: true },
  { name: 'http + sightline ids+logs+metrics', server: 'http', mode: 'sightline' },
]
