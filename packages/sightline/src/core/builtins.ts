/**
 * @module core/builtins
 * `node:http` and `node:fs`, loaded with `require`. An ESM `import` of a built-in makes Node build
 * the module's ESM facade, which reads every export, lazy getters included: on Node 24, `http`'s
 * `WebSocket`, `CloseEvent` and `MessageEvent` getters load the bundled undici (~30 ms of start-up
 * on a 2-core VM), and `fs`'s load its streams (~4 ms). `require` returns the same module object
 * without a facade, so an application that never imports them as ESM never pays for it.
 * Types still come from `import type`, which emits nothing.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export const http = require('node:http') as typeof import('node:http')
export const fs = require('node:fs') as typeof import('node:fs')
