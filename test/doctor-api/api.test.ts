/**
 * doctor-api end to end over a real socket: every endpoint, the client errors and their messages,
 * hostile input, the brief's custom metrics, and that patient data never reaches logs or metrics.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { findSamples, parseMetrics, sampleValue } from '../helpers/metrics.js'
import { type DoctorApi, startDoctorApi } from './harness.js'

const ADA = { name: 'Ada Lovelace', email: 'ada.lovelace@example.com', date_of_birth: '1815-12-10' }
const PASSWORD = 'correct horse battery staple'

describe('doctor-api', () => {
  let api: DoctorApi
  let patientId: number
  let appointmentId: number
  before(async () => {
    api = await startDoctorApi()
  })
  after(() => api.close())

  const json = async (response: Response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  })
  const scrape = async () => parseMetrics(await (await fetch(`${api.url}/metrics`)).text())

  test('POST /api/patients creates a patient (201) and GET reads it back, with a trailing slash too', async () => {
    const created = await json(await api.post('/api/patients', ADA))
    assert.equal(created.status, 201)
    assert.equal(created.body.name, ADA.name)
    assert.equal(created.body.date_of_birth, ADA.date_of_birth)
    patientId = created.body.id as number
    assert.ok(patientId > 0)
    const read = await json(await fetch(`${api.url}/api/patients/${patientId}/`))
    assert.equal(read.status, 200)
    assert.equal(read.body.email, ADA.email)
  })

  test('GET /api/patients pages, with bounded limits', async () => {
    for (let i = 0; i < 3; i++) await api.post('/api/patients', { ...ADA, email: `p${i}@example.com` })
    const first = await json(await fetch(`${api.url}/api/patients?limit=2`))
    assert.equal(first.status, 200)
    assert.equal((first.body.items as unknown[]).length, 2)
    assert.equal(first.body.total, 4)
    assert.equal(first.body.next_offset, 2)
    const last = await json(await fetch(`${api.url}/api/patients?limit=2&offset=2`))
    assert.equal(last.body.next_offset, null)
    const tooMany = await json(await fetch(`${api.url}/api/patients?limit=1000`))
    assert.equal(tooMany.status, 400)
    assert.deepEqual(tooMany.body.details, ['querystring.limit must be <= 100'])
  })

  test('appointments: create (201), list by patient, unknown patient (404)', async () => {
    const created = await json(
      await api.post('/api/appointments', {
        patient_id: patientId,
        doctor: 'Dr. Watson',
        starts_at: '2026-12-01T09:30:00Z',
      }),
    )
    assert.equal(created.status, 201)
    appointmentId = created.body.id as number
    const listed = await json(await fetch(`${api.url}/api/appointments?patient_id=${patientId}`))
    assert.equal(listed.status, 200)
    assert.deepEqual(
      (listed.body.items as Array<{ id: number }>).map((a) => a.id),
      [appointmentId],
    )
    // RFC 3339 allows a leap second, which JavaScript's Date does not parse: accepted, stored as the next second.
    const leap = await json(
      await api.post('/api/appointments', {
        patient_id: patientId,
        doctor: 'Dr. Watson',
        starts_at: '2026-06-30T23:59:60Z',
      }),
    )
    assert.equal(leap.status, 201, JSON.stringify(leap.body))
    assert.equal(Date.parse(String(leap.body.starts_at)), Date.parse('2026-07-01T00:00:00Z'))
    const unknown = await json(
      await api.post('/api/appointments', { patient_id: 999999, doctor: 'Dr. X', starts_at: '2026-12-01T09:30:00Z' }),
    )
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.error, 'patient 999999 not found')
  })

  test('signups are counted by bounded source; a second signup with the same email is 409', async () => {
    const web = await json(
      await api.post('/api/signup', { email: 'new@example.com', password: PASSWORD, source: 'web' }),
    )
    assert.equal(web.status, 201)
    const odd = await json(
      await api.post('/api/signup', { email: 'odd@example.com', password: PASSWORD, source: 'x'.repeat(40) }),
    )
    assert.equal(odd.body.source, 'other')
    const again = await json(await api.post('/api/signup', { email: 'new@example.com', password: PASSWORD }))
    assert.equal(again.status, 409)
    const samples = await scrape()
    assert.equal(sampleValue(samples, 'app_user_signups_total', { source: 'web' }), 1)
    assert.equal(sampleValue(samples, 'app_user_signups_total', { source: 'other' }), 1)
    assert.equal(findSamples(samples, 'app_user_signups_total').length, 6, 'known sources plus other, nothing else')
  })

  test('payments are timed by app_payment_duration_seconds with the brief buckets', async () => {
    const paid = await json(await api.post('/api/payments', { appointment_id: appointmentId, amount_cents: 4500 }))
    assert.equal(paid.status, 201)
    assert.equal(paid.body.status, 'succeeded')
    const missing = await json(await api.post('/api/payments', { appointment_id: 999999, amount_cents: 100 }))
    assert.equal(missing.status, 404)
    const samples = await scrape()
    assert.equal(sampleValue(samples, 'app_payment_duration_seconds_count'), 1)
    assert.deepEqual(
      findSamples(samples, 'app_payment_duration_seconds_bucket').map((s) => s.labels.le),
      ['0.1', '0.5', '1', '2', '5', '+Inf'],
    )
  })

  test('client mistakes are 4xx with a message that says what is wrong', async () => {
    const cases: Array<[string, Promise<Response>, number, RegExp]> = [
      ['malformed JSON', api.post('/api/patients', '{"name":'), 400, /not valid JSON/],
      ['a __proto__ key', api.post('/api/patients', '{"__proto__": {"admin": true}}'), 400, /__proto__/],
      ['empty body', api.post('/api/patients', ''), 400, /body is empty/],
      [
        'missing field',
        api.post('/api/patients', { name: 'X', email: 'x@example.com' }),
        400,
        /date_of_birth is required/,
      ],
      ['bad email', api.post('/api/patients', { ...ADA, email: 'nope' }), 400, /email must match format/],
      ['impossible date', api.post('/api/patients', { ...ADA, date_of_birth: '1990-13-45' }), 400, /date_of_birth/],
      ['future birth', api.post('/api/patients', { ...ADA, date_of_birth: '2999-01-01' }), 400, /in the future/],
      ['array body', api.post('/api/patients', [ADA]), 400, /must be object/],
      ['null body', api.post('/api/patients', 'null'), 400, /./],
      ['non-numeric id', fetch(`${api.url}/api/patients/abc`), 400, /params.id must be integer/],
      ['huge id', fetch(`${api.url}/api/patients/99999999999999999999`), 400, /params.id/],
      ['negative amount', api.post('/api/payments', { appointment_id: 1, amount_cents: -5 }), 400, /amount_cents/],
      ['short password', api.post('/api/signup', { email: 'a@example.com', password: 'x' }), 400, /password/],
      [
        'bad timestamp',
        api.post('/api/appointments', { patient_id: 1, doctor: 'D', starts_at: 'tomorrow' }),
        400,
        /starts_at/,
      ],
      ['unknown route', fetch(`${api.url}/api/nothing/here`), 404, /no route for GET \/api\/nothing\/here/],
      [
        'unknown media type',
        api.post('/api/patients', '<xml/>', { 'content-type': 'application/xml' }),
        415,
        /application\/json/,
      ],
      ['oversized body', api.post('/api/patients', { ...ADA, name: 'x'.repeat(70 * 1024) }), 413, /too large/],
      [
        'text/plain body',
        api.post('/api/patients', 'hello', { 'content-type': 'text/plain' }),
        415,
        /application\/json/,
      ],
      ['undecodable URL', fetch(`${api.url}/api/patients/%ZZ`), 400, /not validly percent-encoded/],
      ['year 0 birth', api.post('/api/patients', { ...ADA, date_of_birth: '0000-01-01' }), 400, /before 1800-01-01/],
      ['NUL in a name', api.post('/api/patients', { ...ADA, name: 'Ada\u0000' }), 400, /name must not contain NUL/],
      [
        'NUL in a doctor',
        api.post('/api/appointments', { patient_id: 1, doctor: 'D\u0000', starts_at: '2027-01-01T09:00:00Z' }),
        400,
        /doctor must not contain NUL/,
      ],
      [
        'NUL in a source',
        api.post('/api/signup', { email: 'nul@example.com', password: PASSWORD, source: 'w\u0000' }),
        400,
        /source must not contain NUL/,
      ],
      [
        'year 0 appointment',
        api.post('/api/appointments', { patient_id: 1, doctor: 'D', starts_at: '0000-01-01T00:00:00Z' }),
        400,
        /starts_at must be from 2000/,
      ],
      [
        'year 10000 appointment',
        api.post('/api/appointments', { patient_id: 1, doctor: 'D', starts_at: '9999-12-31T23:59:59-14:00' }),
        400,
        /starts_at must be from 2000/,
      ],
    ]
    for (const [name, pending, status, message] of cases) {
      const response = await pending
      const body = (await response.json()) as { error: string; details?: string[] }
      assert.equal(response.status, status, name)
      assert.match(`${body.error} ${(body.details ?? []).join(' ')}`, message, name)
    }
    const samples = await scrape()
    const fiveHundreds = findSamples(samples, 'http_server_request_duration_seconds_count').filter((s) =>
      s.labels.http_response_status_code?.startsWith('5'),
    )
    assert.deepEqual(fiveHundreds, [], 'nothing a client sent made it 500')
    assert.equal(api.logs.raw.join('\n').includes('0000-01-01'), false, 'a refused date of birth reached the log')
  })

  test('the live stream counts its open connections', async () => {
    const controller = new AbortController()
    const response = await fetch(`${api.url}/api/appointments/stream`, { signal: controller.signal })
    assert.equal(response.headers.get('content-type'), 'text/event-stream')
    const reader = response.body?.getReader()
    await reader?.read()
    assert.equal(sampleValue(await scrape(), 'app_active_connections'), 1)
    await api.post('/api/appointments', { patient_id: patientId, doctor: 'Dr. Who', starts_at: '2026-12-02T09:30:00Z' })
    const chunk = new TextDecoder().decode((await reader?.read())?.value)
    assert.match(chunk, /event: appointment/)
    controller.abort()
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(sampleValue(await scrape(), 'app_active_connections'), 0)
  })

  test('access lines carry request ids and route templates; patient data appears in no log line or metric', async () => {
    await fetch(`${api.url}/api/patients/${patientId}?email=${encodeURIComponent(ADA.email)}`, {
      headers: { 'x-request-id': 'trace-me-1' },
    })
    const line = await api.logs.waitFor((l) => l.request_id === 'trace-me-1' && l.msg === 'request completed')
    assert.equal(line.route, '/api/patients/:id')
    assert.equal(line.status, 200)
    const created = api.logs.lines.find((l) => l.msg === 'patient created')
    assert.equal(typeof created?.request_id, 'string')
    assert.equal(typeof created?.patient_id, 'number')
    const everything = `${api.logs.raw.join('\n')}\n${await (await fetch(`${api.url}/metrics`)).text()}`
    for (const secret of [ADA.name, ADA.email, ADA.date_of_birth, PASSWORD, 'Lovelace']) {
      assert.equal(everything.includes(secret), false, `${secret} leaked`)
    }
  })

  test('readiness reports the database and cache checks', async () => {
    const ready = await json(await fetch(`${api.url}/readyz`))
    assert.equal(ready.status, 200)
    const checks = ready.body.checks as Record<string, { status: string; critical: boolean }>
    assert.equal(checks.database?.status, 'ok')
    assert.equal(checks.database?.critical, true)
    assert.equal(checks.cache?.critical, false)
  })
})

describe('doctor-api demo faults', () => {
  test('DEMO_ERROR_RATE=1 makes every payment a 503 from the provider, counted and timed', async () => {
    const api = await startDoctorApi({ errorRate: 1, latencyMs: 20 })
    try {
      const patient = (await (await api.post('/api/patients', ADA)).json()) as { id: number }
      const appointment = (await (
        await api.post('/api/appointments', { patient_id: patient.id, doctor: 'D', starts_at: '2026-12-01T09:00:00Z' })
      ).json()) as { id: number }
      const failed = await api.post('/api/payments', { appointment_id: appointment.id, amount_cents: 100 })
      assert.equal(failed.status, 503)
      assert.match(((await failed.json()) as { error: string }).error, /payment provider is unavailable/)
      const samples = parseMetrics(await (await fetch(`${api.url}/metrics`)).text())
      assert.equal(
        sampleValue(samples, 'http_server_request_duration_seconds_count', {
          http_route: '/api/payments',
          http_response_status_code: '503',
        }),
        1,
      )
      assert.ok((sampleValue(samples, 'app_payment_duration_seconds_sum') ?? 0) >= 0.02)
    } finally {
      await api.close()
    }
  })
})
