/** GET /v1/search?q=: artists and songs by name, from the catalog. */
import type { FastifyInstance } from 'fastify'
import type { ServingContext } from '../context.ts'
import { searchSchema } from '../schemas.ts'

export function searchRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get<{ Querystring: { q: string; limit: number } }>('/v1/search', { schema: searchSchema }, async (req) => {
    return { q: req.query.q, results: ctx.catalog.search(req.query.q, req.query.limit) }
  })
}
