/**
 * @module notifier/app
 * The second service of the brief's distributed trace (Express): doctor-api calls `POST /notify`
 * when an appointment is booked. Its spans and log lines share doctor-api's trace and request ids.
 */
import express, { type Express } from 'express'
import type { Sightline } from 'sightline'
import { sightlineExpress, sightlineExpressErrors } from 'sightline/express'
import { currentBaggage, withSpan } from 'sightline/tracing'

export function buildNotifier(sightline: Sightline): Express {
  const app = express()
  app.use(sightlineExpress({ sightline }))
  app.use(express.json({ limit: '16kb' }))
  app.post('/notify', async (req, res) => {
    const appointmentId = Number(req.body?.appointment_id)
    if (!Number.isInteger(appointmentId) || appointmentId < 1) {
      res.status(400).json({ error: 'appointment_id must be a positive integer' })
      return
    }
    await withSpan('deliver_email', async (span) => {
      span.setAttribute('appointment.id', appointmentId)
      // W3C baggage set by the caller's caller travels with the trace: a tenant id chosen at the
      // edge is on this span without doctor-api passing it on by hand (an allow-listed key, never
      // the whole baggage: it is caller-controlled text).
      const tenant = currentBaggage()?.getEntry('tenant')?.value
      if (tenant !== undefined && tenant.length <= 64) span.setAttribute('app.tenant', tenant)
      // Stands in for the mail provider's API.
      await new Promise((resolve) => setTimeout(resolve, 3))
    })
    sightline.logger.info({ appointment_id: appointmentId }, 'notification sent')
    res.status(202).json({ appointment_id: appointmentId, status: 'sent' })
  })
  app.use(sightlineExpressErrors())
  app.use(
    (
      error: Error & { status?: number; type?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      const status = error.status !== undefined && error.status >= 400 && error.status < 500 ? error.status : 500
      // body-parser's message quotes the body it could not parse: never send it back.
      const message = error.type === 'entity.parse.failed' ? 'the request body is not valid JSON' : error.message
      res.status(status).json({ error: status === 500 ? 'internal error' : message })
    },
  )
  return app
}
