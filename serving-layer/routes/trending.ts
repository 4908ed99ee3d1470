/**
 * GET /v1/trending?window=5m|1h|24h&limit=&kind=: the realtime top list summed over instances, names joined. A key
 * scoped to artists sees only its own entries, each with its true rank among all (the others' ids and numbers are
 * left out), within the top MAX_PER_INSTANCE.
 */
import type { FastifyInstance } from 'fastify'
import { mayRead, type Principal } from '../../shared/access/keys.ts'
import type { EntityKind, TrendingWindow } from '../../shared/realtime.ts'
import type { ServingContext } from '../context.ts'
import { collect } from '../realtime/fan-out.ts'
import { trendingSchema } from '../schemas.ts'

/** With several instances an item can rank low in each and high in the sum: ask each for more than the cut. */
const OVERFETCH = 3
const MAX_PER_INSTANCE = 300

export function trendingRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get<{ Querystring: { window: TrendingWindow; limit: number; kind: EntityKind } }>(
    '/v1/trending',
    { schema: trendingSchema, config: { scope: 'filtered' } },
    async (req) => {
      const { window, limit, kind } = req.query
      const p = req.principal
      const scoped = p?.artists !== 'all'
      // A scoped key's entries may rank anywhere: rank the longest list the instances give, then keep its own.
      const ask = scoped
        ? MAX_PER_INSTANCE
        : ctx.realtime.length > 1
          ? Math.min(limit * OVERFETCH, MAX_PER_INSTANCE)
          : limit
      const rt = await collect(
        ctx.realtime,
        (v) => v.trending({ kind, window, limit: ask }),
        ctx.config.kafka.partitions,
      )
      const plays = new Map<string, number>()
      for (const a of rt.answers) for (const it of a.items) plays.set(it.id, (plays.get(it.id) ?? 0) + it.plays)
      const ranked = [...plays]
        .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
        .map(([id, n], i) => ({ rank: i + 1, id, plays: n }))
      const top = (scoped ? ranked.filter((it) => p !== undefined && visible(ctx, p, kind, it.id)) : ranked).slice(
        0,
        limit,
      )
      return {
        window,
        kind,
        complete: rt.complete,
        missing: rt.missing,
        items: top.map((it) => ({ ...it, ...names(ctx, kind, it.id) })),
      }
    },
  )
}

function visible(ctx: ServingContext, p: Principal, kind: EntityKind, id: string): boolean {
  const artist = kind === 'artist' ? id : ctx.catalog.artistOf(id)
  return artist !== undefined && mayRead(p, artist)
}

function names(
  ctx: ServingContext,
  kind: EntityKind,
  id: string,
): { name: string; artistId?: string; artistName?: string } {
  if (kind === 'artist') return { name: ctx.catalog.artists.get(id)?.name ?? id }
  const song = ctx.catalog.songs.get(id)
  if (!song) return { name: id }
  return {
    name: song.title,
    artistId: song.artistId,
    artistName: ctx.catalog.artists.get(song.artistId)?.name ?? song.artistId,
  }
}
