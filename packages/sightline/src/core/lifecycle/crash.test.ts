import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rejectionMode } from './crash.js'

test("rejectionMode: Node's default is throw; the command line wins over NODE_OPTIONS; both spellings", () => {
  assert.equal(rejectionMode([], undefined), 'throw')
  assert.equal(rejectionMode(['--unhandled-rejections=warn'], undefined), 'warn')
  assert.equal(rejectionMode(['--unhandled-rejections', 'strict'], undefined), 'strict')
  assert.equal(rejectionMode([], '--enable-source-maps --unhandled-rejections=none'), 'none')
  assert.equal(
    rejectionMode(['--unhandled-rejections=warn-with-error-code'], '--unhandled-rejections=none'),
    'warn-with-error-code',
  )
  assert.equal(rejectionMode(['--unhandled-rejections=bogus'], undefined), 'throw')
})
