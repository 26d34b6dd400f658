/**
 * @module tracing/esm-hook
 * The module loader hook OpenTelemetry's instrumentations need in an ESM app. They patch a module
 * as it loads: `require()` is seen through require-in-the-middle, but an `import` only through
 * import-in-the-middle's loader hook, which must be registered (`module.register`) before the
 * module is imported. Sightline registers the copy @opentelemetry/instrumentation uses (its hooks
 * and the loader talk through that copy's state) and has it wrap only the modules the
 * instrumentations hook, sent over its message channel: wrapping every module of an app costs
 * start-up time, and a few modules do not survive being wrapped.
 *
 * Node runs one loader chain per process, so the hook is registered once per process and kept on
 * `globalThis`: a second tracing instance only adds its modules to the list. A loader the process
 * was started with (`--experimental-loader @opentelemetry/instrumentation/hook.mjs`) is left to do
 * the job alone, as two would wrap modules twice.
 */
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'

interface ImportInTheMiddle {
  Hook: (modules: string[], hook: () => void) => { unhook(): void }
  createAddHookMessageChannel?: () => {
    registerOptions: { data: unknown; transferList: unknown[] }
    waitForAllMessagesAcknowledged(): Promise<void>
  }
}

interface EsmHook {
  /** Adds modules to those the loader wraps; resolves once the loader has them. */
  include(modules: readonly string[]): Promise<void>
}

const kEsmHook = Symbol.for('sightline.esm-hook')

/** The result, for set-up to tell: `hooked`, or why imports are not hooked by Sightline. */
export type EsmHookResult = 'hooked' | 'external-loader' | 'unavailable'

const EXTERNAL_LOADER = /import-in-the-middle|@opentelemetry\/instrumentation\/hook\.mjs/

/**
 * Makes `import`s of `modules` from now on go through import-in-the-middle.
 * @param entry @opentelemetry/instrumentation's resolved entry file (instrumentations.ts finds it).
 */
export async function hookEsmImports(modules: readonly string[], entry: string | undefined): Promise<EsmHookResult> {
  const options = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ')
  if (EXTERNAL_LOADER.test(options)) return 'external-loader'
  const global = globalThis as { [kEsmHook]?: EsmHook }
  let hook = global[kEsmHook]
  if (hook === undefined) {
    if (entry === undefined) return 'unavailable'
    const require = createRequire(entry)
    const iitm = require('import-in-the-middle') as ImportInTheMiddle
    if (iitm.createAddHookMessageChannel === undefined) return 'unavailable'
    const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel()
    register(pathToFileURL(require.resolve('import-in-the-middle/hook.mjs')), registerOptions)
    hook = {
      async include(names) {
        // A Hook sends its module names to the loader as it is made; the instrumentations' own
        // hooks may predate the channel (made before set-up), so their names are sent again here.
        iitm.Hook([...names], () => {}).unhook()
        await waitForAllMessagesAcknowledged()
      },
    }
    global[kEsmHook] = hook
  }
  if (modules.length > 0) await hook.include(modules)
  return 'hooked'
}
