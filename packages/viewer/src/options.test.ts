/**
 * @module viewer/options.test
 * The byte budget is an option like the other limits: `limits.maxBytes`, `SIGHTLINE_VIEWER_MAX_BYTES`
 * (the CLI's `--max-bytes`), validated once.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveViewerOptions } from './options.js'

test('the byte budget defaults to 256 MiB and is read from the environment or the options', () => {
  assert.equal(resolveViewerOptions({}, {}).limits.maxBytes, 256 * 1024 * 1024)
  assert.equal(resolveViewerOptions({}, { SIGHTLINE_VIEWER_MAX_BYTES: '1048576' }).limits.maxBytes, 1048576)
  assert.equal(
    resolveViewerOptions({ limits: { maxBytes: 2048 } }, { SIGHTLINE_VIEWER_MAX_BYTES: '1048576' }).limits.maxBytes,
    2048,
  )
  for (const value of ['256MB', '-1', '0', '1.5']) {
    assert.throws(() => resolveViewerOptions({}, { SIGHTLINE_VIEWER_MAX_BYTES: value }), /limits\.maxBytes/, value)
  }
})
