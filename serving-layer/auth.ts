/** The optional bearer token (API_TOKEN) of the report routes, compared in constant time. */
import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Errors } from '../shared/errors.ts'

export function requireBearer(app: FastifyInstance, token: string): void {
  const expected = Buffer.from(`Bearer ${token}`)
  // A callback hook: an async one costs a promise on every request.
  app.addHook('onRequest', (req, _reply, done) => {
    const given = Buffer.from(req.headers.authorization ?? '')
    done(given.length !== expected.length || !crypto.timingSafeEqual(given, expected) ? new Errors.UNAUTHORIZED() : undefined)
  })
}
