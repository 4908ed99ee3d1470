/** GET /v1/signals?rule=&listener=&since=&limit=: the latest interest-list signals, song and artist names joined. */
import type { FastifyInstance } from 'fastify'
import { Errors } from '../../shared/errors.ts'
import type { Signal } from '../../shared/signals.ts'
import type { ServingContext } from '../context.ts'
import { signalsSchema } from '../signals/schemas.ts'

interface Query {
  rule?: string
  listener?: string
  since?: string
  limit: number
}

export function signalsRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get<{ Querystring: Query }>('/v1/signals', { schema: signalsSchema }, async (req) => {
    const { rule, listener, limit } = req.query
    const since = req.query.since === undefined ? undefined : parseInstant(req.query.since)
    const store = ctx.signals.store
    const signals = store.query({
      limit,
      ...(rule === undefined ? {} : { rule }),
      ...(listener === undefined ? {} : { listener }),
      ...(since === undefined ? {} : { since }),
    })
    return {
      signals: signals.map((s) => withNames(ctx, s)),
      held: store.size,
      capacity: store.capacity,
      live: ctx.signals.live(),
      perMinute: store.perMinute(),
    }
  })
}

export function withNames(ctx: ServingContext, s: Signal): Signal & { songTitle: string; artistName: string } {
  return {
    ...s,
    songTitle: ctx.catalog.songs.get(s.songId)?.title ?? s.songId,
    artistName: ctx.catalog.artists.get(s.artistId)?.name ?? s.artistId,
  }
}

function parseInstant(v: string): number {
  const ms = /^[0-9]{1,15}$/.test(v)
    ? Number(v)
    : /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(v)
      ? Date.parse(v)
      : NaN
  if (!Number.isFinite(ms))
    throw new Errors.BAD_REQUEST(`since="${v}" must be an ISO-8601 instant with a zone or epoch milliseconds`)
  return ms
}
