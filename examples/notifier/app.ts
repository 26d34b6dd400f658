/**
 * @module notifier/app
 * The second service of the brief's distributed trace (Express): doctor-api calls `POST /notify`
 * when an appointment is booked (or, with AMQP_URL set, queues it on RabbitMQ: notifier/queue).
 * Its spans and log lines share doctor-api's trace and request ids.
 */
import express, { type Express } from 'express'
import type { Sightline } from 'sightline'
import { sightlineExpress, sightlineExpressErrors } from 'sightline/express'
import { deliverNotification, isAppointmentId } from './deliver.js'

export function buildNotifier(sightline: Sightline): Express {
  const app = express()
  app.use(sightlineExpress({ sightline }))
  app.use(express.json({ limit: '16kb' }))
  app.post('/notify', async (req, res) => {
    const appointmentId = Number(req.body?.appointment_id)
    if (!isAppointmentId(appointmentId)) {
      res.status(400).json({ error: 'appointment_id must be a positive integer' })
      return
    }
    await deliverNotification(sightline, appointmentId, 'http')
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
