/** GET /v1/search?q=: artists and songs by name, from the catalog; a scoped key finds only its own artists' entries. */
import type { FastifyInstance } from 'fastify'
import { mayRead } from '../../shared/access/keys.ts'
import type { ServingContext } from '../context.ts'
import { searchSchema } from '../schemas.ts'

export function searchRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get<{ Querystring: { q: string; limit: number } }>(
    '/v1/search',
    { schema: searchSchema, config: { scope: 'filtered' } },
    async (req) => {
      const p = req.principal
      // Fail closed: every non-public route has a principal (shared/http-auth.ts); none would see nothing.
      const visible = p?.artists === 'all' ? undefined : (artistId: string) => p !== undefined && mayRead(p, artistId)
      return { q: req.query.q, results: ctx.catalog.search(req.query.q, req.query.limit, visible) }
    },
  )
}
