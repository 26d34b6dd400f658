/**
 * Default redaction, on the lines a user's log shipper would read: credentials at the top level and
 * one or two levels down never reach the output; a user's own `redact` paths are added to them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSightline } from 'sightline'
import { LogCapture } from '../helpers/logs.js'

test('passwords, secrets, tokens and credential headers are redacted up to two levels deep', async (t) => {
  const logs = new LogCapture()
  const sightline = createSightline({
    service: 'redaction',
    logFormat: 'json',
    logDestination: logs,
    redact: ['card.number'],
    shutdown: { signals: false },
  })
  t.after(() => sightline.close())
  const secrets = {
    password: 'pw-0',
    passwd: 'pw-1',
    token: 'tok-0',
    user: { password: 'pw-2', secret: 'sec-1', access_token: 'at-1', token: 'tok-1' },
    body: { user: { password: 'pw-3', passwd: 'pw-4', secret: 'sec-2', token: 'tok-2', access_token: 'at-2' } },
    headers: { authorization: 'Bearer hdr-1', cookie: 'sid=ck-1', 'set-cookie': 'sid=ck-2' },
    req: { headers: { authorization: 'Bearer hdr-2' } },
    card: { number: '4111111111111111', brand: 'visa' },
  }
  sightline.logger.info(secrets, 'with secrets')
  const line = await logs.waitFor((l) => l.msg === 'with secrets')
  const text = JSON.stringify(line)
  for (const value of ['pw-', 'tok-', 'sec-', 'at-', 'hdr-', 'ck-', '4111']) {
    assert.doesNotMatch(text, new RegExp(value), `${value} redacted`)
  }
  assert.equal((line.body as { user: { token: string } }).user.token, '[Redacted]')
  assert.equal((line.card as { brand: string }).brand, 'visa', 'what is not a credential stays')
})
