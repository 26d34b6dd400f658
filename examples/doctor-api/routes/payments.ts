/**
 * @module doctor-api/routes/payments
 * Payments, timed with `app_payment_duration_seconds`. Demo faults (`DEMO_ERROR_RATE`,
 * `DEMO_LATENCY_MS`) make the payment provider fail or slow down, so alerts can be watched firing.
 */
import type { FastifyInstance } from 'fastify'
import type { Deps } from '../deps.js'
import { HttpError } from '../errors.js'
import { paymentBody } from '../schemas.js'

export function paymentRoutes(app: FastifyInstance, { repository, logger, metrics, demo }: Deps): void {
  /** Stands in for the payment provider's API. */
  async function charge(amountCents: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, demo.latencyMs + 2 + (amountCents % 7)))
    if (demo.errorRate > 0 && Math.random() < demo.errorRate) {
      throw new HttpError(503, 'the payment provider is unavailable, try again later')
    }
  }

  app.post('/api/payments', { schema: { body: paymentBody } }, async (request, reply) => {
    const body = request.body as { appointment_id: number; amount_cents: number }
    if (!(await repository.appointmentExists(body.appointment_id))) {
      throw new HttpError(404, `appointment ${body.appointment_id} not found`)
    }
    await metrics.payment.time(() => charge(body.amount_cents))
    const payment = await repository.createPayment(body.appointment_id, body.amount_cents)
    logger.info({ payment_id: payment.id, appointment_id: body.appointment_id }, 'payment recorded')
    return reply.status(201).send({ id: payment.id, appointment_id: body.appointment_id, status: payment.status })
  })
}
