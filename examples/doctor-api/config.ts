/**
 * @module doctor-api/config
 * doctor-api's environment, read and validated once at start.
 */

export interface DemoFaults {
  /** Share (0–1) of payments that fail with a 503, as if the provider were down. */
  errorRate: number
  /** Extra latency on every payment, in milliseconds. */
  latencyMs: number
}

export interface Config {
  port: number
  host: string
  /** PGlite data directory; in memory when unset. */
  pgliteDir: string | undefined
  /** Postgres server; embedded PGlite when unset. */
  databaseUrl: string | undefined
  /** Redis server; an in-memory cache when unset. */
  redisUrl: string | undefined
  demo: DemoFaults
  /** The notifier service; NOTIFIER_URL, default http://127.0.0.1:8001. */
  notifierUrl: string | undefined
  /** RabbitMQ; AMQP_URL. When set, notifications go through its queue instead of the HTTP call. */
  amqpUrl: string | undefined
  /** The notifications' queue; AMQP_QUEUE, default `appointment-notifications`. */
  amqpQueue: string
  timeouts: Timeouts
}

/**
 * How long a client may take to send a request. Fastify turns Node's request timeout off, so a
 * client trickling a body would hold a connection (and its memory) for as long as it likes.
 */
export interface Timeouts {
  /** REQUEST_TIMEOUT_MS, default 30000: the whole request, headers and body. */
  requestMs: number
  /** HEADERS_TIMEOUT_MS, default 10000 (at most the request timeout): the request's headers. */
  headersMs: number
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 8000)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`PORT must be a port number, received ${env.PORT}`)
  const errorRate = Number(env.DEMO_ERROR_RATE ?? 0)
  if (!(errorRate >= 0 && errorRate <= 1)) {
    throw new TypeError(`DEMO_ERROR_RATE must be between 0 and 1, received ${env.DEMO_ERROR_RATE}`)
  }
  const latencyMs = Number(env.DEMO_LATENCY_MS ?? 0)
  if (!(Number.isInteger(latencyMs) && latencyMs >= 0 && latencyMs <= 60000)) {
    throw new TypeError(`DEMO_LATENCY_MS must be an integer from 0 to 60000, received ${env.DEMO_LATENCY_MS}`)
  }
  const requestMs = integerOf(env, 'REQUEST_TIMEOUT_MS', 30000, 100, 600000)
  const headersMs = Math.min(integerOf(env, 'HEADERS_TIMEOUT_MS', 10000, 100, 600000), requestMs)
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    pgliteDir: env.PGLITE_DIR || undefined,
    databaseUrl: urlOf(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: urlOf(env, 'REDIS_URL', ['redis:', 'rediss:']),
    demo: { errorRate, latencyMs },
    notifierUrl:
      env.NOTIFIER_URL === '' ? undefined : (urlOf(env, 'NOTIFIER_URL', ['http:', 'https:']) ?? DEFAULT_NOTIFIER),
    amqpUrl: urlOf(env, 'AMQP_URL', ['amqp:', 'amqps:']),
    amqpQueue: queueOf(env),
    timeouts: { requestMs, headersMs },
  }
}

/** The queue name: what RabbitMQ accepts (at most 255 bytes), and never one of its own `amq.` names. */
function queueOf(env: NodeJS.ProcessEnv): string {
  const queue = env.AMQP_QUEUE || DEFAULT_QUEUE
  if (!/^[A-Za-z0-9_.:-]{1,255}$/.test(queue) || queue.startsWith('amq.')) {
    throw new TypeError('AMQP_QUEUE must be letters, digits, _ . : - (at most 255), not starting with amq.')
  }
  return queue
}

export const DEFAULT_QUEUE = 'appointment-notifications'

function integerOf(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}, received ${raw}`)
  }
  return value
}

const DEFAULT_NOTIFIER = 'http://127.0.0.1:8001'

/** `env[name]` checked to be a URL of one of `protocols`; `undefined` when unset or empty. */
function urlOf(env: NodeJS.ProcessEnv, name: string, protocols: readonly string[]): string | undefined {
  const value = env[name]
  if (value === undefined || value === '') return undefined
  const expected = `${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`
  let protocol: string
  try {
    protocol = new URL(value).protocol
  } catch {
    throw new TypeError(`${expected}, received no URL`)
  }
  if (!protocols.includes(protocol)) throw new TypeError(`${expected}, received a ${protocol}// one`)
  return value
}

/** `url` without its user name and password, for a log line. */
export function redactUrl(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString()
}
