/**
 * @module instrumentations/messaging/destinations.test
 * Temporary destinations fold into one label, and past the cap new names into `(other)`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DestinationTable, OTHER_DESTINATION, TEMPORARY_DESTINATION } from './destinations.js'

test('reply queues and inboxes are (temporary); names past the cap are (other), known ones stay', () => {
  const table = new DestinationTable(2, ['_MY_INBOX.'])
  assert.equal(table.label('amq.gen-JzTY20BRgKO-HjmUJj0wLg'), TEMPORARY_DESTINATION)
  assert.equal(table.label('_INBOX.8sVGRxlVbPNUJ3wD1cWKvG'), TEMPORARY_DESTINATION)
  assert.equal(table.label('_MY_INBOX.abc'), TEMPORARY_DESTINATION)
  assert.equal(table.label('orders'), 'orders')
  assert.equal(table.label('emails'), 'emails')
  assert.equal(table.label('tenant-42'), OTHER_DESTINATION)
  assert.equal(table.label('orders'), 'orders')
})
