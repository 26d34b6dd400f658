/**
 * @module doctor-api/routes/patients
 * Patients: create, read (through the cache), list. Patient data never reaches logs or labels: ids only.
 */
import type { FastifyInstance } from 'fastify'
import type { Deps } from '../deps.js'
import { HttpError } from '../errors.js'
import { idParams, pageQuery, patientBody } from '../schemas.js'
import { checkBirthDate } from '../validation.js'

export function patientRoutes(app: FastifyInstance, { repository, logger }: Deps): void {
  app.post('/api/patients', { schema: { body: patientBody } }, async (request, reply) => {
    const body = request.body as { name: string; email: string; date_of_birth: string }
    const problem = checkBirthDate(body.date_of_birth)
    if (problem !== undefined) throw new HttpError(400, 'invalid request', [problem])
    const patient = await repository.createPatient(body)
    logger.info({ patient_id: patient.id }, 'patient created')
    return reply.status(201).send(patient)
  })

  app.get('/api/patients/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params as { id: number }
    const patient = await repository.getPatient(id)
    if (patient === undefined) throw new HttpError(404, `patient ${id} not found`)
    return patient
  })

  app.get('/api/patients', { schema: { querystring: pageQuery } }, async (request) => {
    const { limit, offset } = request.query as { limit: number; offset: number }
    return repository.listPatients(limit, offset)
  })
}
