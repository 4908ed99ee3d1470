/** The optional bearer token (API_TOKEN) of the report routes, compared in constant time. */
import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Errors } from '../shared/errors.ts'

export function requireBearer(app: FastifyInstance, token: string): void {
  const expected = Buffer.from(`Bearer ${token}`)
  app.addHook('onRequest', async (req) => {
    const given = Buffer.from(req.headers.authorization ?? '')
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw new Errors.UNAUTHORIZED()
  })
}
