/**
 * @module doctor-api/routes/appointments
 * Appointments: create (then process: notify and sync the calendar), list, and a live stream of new
 * appointments over Server-Sent Events, whose open connections `app_active_connections` counts.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { processAppointment } from '../appointments/process.js'
import type { Deps } from '../deps.js'
import { HttpError } from '../errors.js'
import { appointmentBody, appointmentQuery } from '../schemas.js'
import { checkAppointmentTime } from '../validation.js'

const HEARTBEAT_MS = 15000

export function appointmentRoutes(app: FastifyInstance, deps: Deps): void {
  const { repository, logger, metrics } = deps
  const streams = new Set<ServerResponse>()

  app.post('/api/appointments', { schema: { body: appointmentBody } }, async (request, reply) => {
    const body = request.body as { patient_id: number; doctor: string; starts_at: string }
    const problem = checkAppointmentTime(body.starts_at)
    if (problem !== undefined) throw new HttpError(400, 'invalid request', [problem])
    if ((await repository.getPatient(body.patient_id)) === undefined) {
      throw new HttpError(404, `patient ${body.patient_id} not found`)
    }
    const appointment = await repository.createAppointment(body)
    logger.info({ appointment_id: appointment.id, patient_id: appointment.patient_id }, 'appointment created')
    await processAppointment(appointment, deps)
    const event = `event: appointment\ndata: ${JSON.stringify({ id: appointment.id, patient_id: appointment.patient_id, starts_at: appointment.starts_at })}\n\n`
    for (const stream of streams) stream.write(event)
    return reply.status(201).send(appointment)
  })

  app.get('/api/appointments', { schema: { querystring: appointmentQuery } }, async (request) => {
    const { limit, offset, patient_id } = request.query as { limit: number; offset: number; patient_id?: number }
    return repository.listAppointments(patient_id, limit, offset)
  })

  app.get('/api/appointments/stream', (request, reply) => {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    res.write(': connected\n\n')
    streams.add(res)
    metrics.activeConnections.inc()
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS)
    heartbeat.unref()
    request.raw.once('close', () => {
      clearInterval(heartbeat)
      streams.delete(res)
      metrics.activeConnections.dec()
    })
  })

  // Streams never end on their own: close them when shutdown starts draining, or the drain waits for them.
  app.addHook('preClose', (done) => {
    for (const stream of streams) stream.end()
    done()
  })
}
