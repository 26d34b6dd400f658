/**
 * The `instrumentations` option and OTEL_NODE_ENABLED_INSTRUMENTATIONS, read once: short names as
 * auto-instrumentations-node defines them, packages loaded only when named (a missing one is an
 * error naming it), and instrumentations implying `global`. test/tracing/otel-instrumentations
 * runs real ones against real servers.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { TracerProvider } from '@opentelemetry/api'
import { ERROR_CODES, SightlineError } from '../core/errors.js'
import {
  enableInstrumentations,
  hookedModules,
  loadInstrumentationPackages,
  type OpenTelemetryInstrumentation,
  overlapOf,
  readInstrumentationPackages,
  readInstrumentations,
} from './instrumentations.js'
import { resolveTracingOptions } from './options.js'

class FakeInstrumentation implements OpenTelemetryInstrumentation {
  readonly calls: string[] = []
  provider: TracerProvider | undefined
  constructor(readonly instrumentationName = '@example/instrumentation-fake') {}
  setTracerProvider(provider: TracerProvider): void {
    this.provider = provider
    this.calls.push('setTracerProvider')
  }
  enable(): void {
    this.calls.push('enable')
  }
  disable(): void {
    this.calls.push('disable')
  }
  getModuleDefinitions() {
    return [{ name: 'fake-client' }, { name: 'fake-client-extra' }]
  }
}

describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS', () => {
  test('short names are @opentelemetry/instrumentation-<name>, trimmed and kept once, in order', () => {
    assert.deepEqual(readInstrumentationPackages(undefined), [])
    assert.deepEqual(readInstrumentationPackages(' , '), [])
    assert.deepEqual(readInstrumentationPackages('ioredis, mysql2,amqplib,ioredis,socket.io,aws-sdk'), [
      '@opentelemetry/instrumentation-ioredis',
      '@opentelemetry/instrumentation-mysql2',
      '@opentelemetry/instrumentation-amqplib',
      '@opentelemetry/instrumentation-socket.io',
      '@opentelemetry/instrumentation-aws-sdk',
    ])
    assert.deepEqual(readInstrumentationPackages('@prisma/instrumentation'), ['@prisma/instrumentation'])
  })

  test('a name that cannot be a package is an option error naming it', () => {
    assert.throws(() => readInstrumentationPackages('ioredis,../evil'), {
      code: 'SIGHTLINE_ERR_INVALID_OPTION',
      message: /OTEL_NODE_ENABLED_INSTRUMENTATIONS.*"\.\.\/evil"/,
    })
  })

  test('the option given in code wins over the variable; either implies global', () => {
    const env = { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'ioredis' }
    const fromEnv = resolveTracingOptions({}, env)
    assert.deepEqual(fromEnv.instrumentationPackages, ['@opentelemetry/instrumentation-ioredis'])
    assert.equal(fromEnv.global, true)
    const instrumentation = new FakeInstrumentation()
    const fromCode = resolveTracingOptions({ instrumentations: [instrumentation, instrumentation] }, env)
    assert.deepEqual(fromCode.instrumentationPackages, [])
    assert.deepEqual(fromCode.instrumentations, [instrumentation])
    assert.equal(fromCode.global, true)
    assert.equal(resolveTracingOptions({ instrumentations: [] }, env).global, false)
    assert.equal(resolveTracingOptions({}, {}).global, false)
  })

  test('instrumentations with global: false are an option error, as the API has one context', () => {
    const instrumentations = [new FakeInstrumentation()]
    assert.throws(() => resolveTracingOptions({ instrumentations, global: false }, {}), {
      code: 'SIGHTLINE_ERR_INVALID_OPTION',
      message: /"global" must be true, or not set, when instrumentations are given/,
    })
    assert.throws(
      () =>
        resolveTracingOptions({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'ioredis', SIGHTLINE_TRACING_GLOBAL: 'false' }),
      { code: 'SIGHTLINE_ERR_INVALID_OPTION' },
    )
  })

  test('an option that is not instrumentations is an option error', () => {
    for (const value of ['ioredis', [{}], [null], [{ enable() {}, disable() {} }]]) {
      assert.throws(() => readInstrumentations(value), {
        code: 'SIGHTLINE_ERR_INVALID_OPTION',
        message: /"instrumentations" must be an array of OpenTelemetry instrumentations/,
      })
    }
  })
})

describe('loading the named packages', () => {
  test('constructs the one instrumentation class a package exports, on default or by name', async () => {
    const modules: Record<string, Record<string, unknown>> = {
      '@opentelemetry/instrumentation-a': { AInstrumentation: FakeInstrumentation, VERSION: '1' },
      '@opentelemetry/instrumentation-b': { default: { BInstrumentation: FakeInstrumentation } },
    }
    const constructors = await loadInstrumentationPackages(Object.keys(modules), async (name) => modules[name] ?? {})
    assert.equal(constructors.length, 2)
    for (const construct of constructors) assert.ok(construct() instanceof FakeInstrumentation)
  })

  test('a package with no instrumentation class, or several, is an option error naming it', async () => {
    class Other extends FakeInstrumentation {}
    for (const module of [{ helper: () => {} }, { AInstrumentation: FakeInstrumentation, BInstrumentation: Other }]) {
      await assert.rejects(
        loadInstrumentationPackages(['@opentelemetry/instrumentation-x'], async () => module),
        {
          code: 'SIGHTLINE_ERR_INVALID_OPTION',
          message: /@opentelemetry\/instrumentation-x/,
        },
      )
    }
  })

  test('a package that is not installed is SIGHTLINE_ERR_MISSING_PEER naming it and the variable', async () => {
    await assert.rejects(
      loadInstrumentationPackages(['@opentelemetry/instrumentation-not-installed-here']),
      (error) => {
        assert.ok(error instanceof SightlineError)
        assert.equal(error.code, ERROR_CODES.SIGHTLINE_ERR_MISSING_PEER)
        assert.match(
          error.message,
          /OTEL_NODE_ENABLED_INSTRUMENTATIONS=not-installed-here needs the package @opentelemetry\/instrumentation-not-installed-here.*npm install/,
        )
        return true
      },
    )
  })
})

describe('enabling', () => {
  test('each gets the provider, then is enabled; the returned function disables them', () => {
    const provider = { getTracer: () => ({}) } as unknown as TracerProvider
    const instrumentations = [new FakeInstrumentation(), new FakeInstrumentation()]
    const disable = enableInstrumentations(instrumentations, provider)
    for (const instrumentation of instrumentations) {
      assert.equal(instrumentation.provider, provider)
      assert.deepEqual(instrumentation.calls, ['setTracerProvider', 'enable'])
    }
    disable()
    for (const instrumentation of instrumentations) assert.equal(instrumentation.calls.at(-1), 'disable')
  })

  test('the hooked modules, each once, are what the ESM loader is told to wrap', () => {
    assert.deepEqual(hookedModules([new FakeInstrumentation(), new FakeInstrumentation()]), [
      'fake-client',
      'fake-client-extra',
    ])
  })

  test('the instrumentations Sightline duplicates are named', () => {
    assert.match(overlapOf(new FakeInstrumentation('@opentelemetry/instrumentation-http')) ?? '', /node:http/)
    assert.equal(overlapOf(new FakeInstrumentation('@opentelemetry/instrumentation-ioredis')), undefined)
  })
})
