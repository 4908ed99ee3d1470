/** GET /v1/songs/:id/daily and /v1/artists/:id/daily: batch + realtime per day, as JSON or CSV. */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Static } from '@sinclair/typebox'
import { create as contentDisposition } from 'content-disposition'
import { formatDay, resolveRange } from '../../shared/day.ts'
import { Errors } from '../../shared/errors.ts'
import type { ScopeRule } from '../../shared/http-auth.ts'
import type { EntityKind } from '../../shared/realtime.ts'
import type { ServingContext } from '../context.ts'
import { dailyCsv } from '../csv.ts'
import type { BatchSnapshot } from '../batch/load-views.ts'
import { dailyJson, type DailyJsonInput } from '../daily-json.ts'
import { mergeDaily, type DailyRow, type MergeInput, type Totals } from '../merge.ts'
import { collect, type Missing } from '../realtime/fan-out.ts'
import { dailySchema, type DailyParams, type DailyQuery } from '../schemas.ts'

export interface DailyReport {
  kind: EntityKind
  id: string
  name: string
  artistId?: string
  from: string
  to: string
  watermark: number
  complete: boolean
  missing: Missing
  days: DailyRow[]
  totals: Totals
}

const JSON_TYPE = 'application/json; charset=utf-8'

export function dailyRoutes(app: FastifyInstance, ctx: ServingContext): void {
  for (const kind of ['song', 'artist'] as const) {
    app.get<{ Params: Static<typeof DailyParams>; Querystring: Static<typeof DailyQuery> }>(
      `/v1/${kind}s/:id/daily`,
      { schema: dailySchema(kind), config: { scope: entityScope(ctx, kind) } },
      async (req, reply) => {
        const { from, to, format, parts } = req.query
        const q = await prepare(ctx, kind, req.params.id, from, to)
        if (format !== 'csv' && parts !== true) return reply.type(JSON_TYPE).send(dailyJson(q.snapshot, q, q.merge))
        const report = toReport(q, format !== 'csv' && parts === true)
        if (format !== 'csv') return reply.type(JSON_TYPE).send(report)
        return (
          reply
            .type('text/csv; charset=utf-8')
            // RFC 6266: an id may hold a quote, a newline or characters outside Latin-1, which a quoted filename cannot.
            .header(
              'content-disposition',
              contentDisposition(`${kind}-${report.id}-${report.from}-${report.to}.csv`, { type: 'inline' }),
            )
            .header('x-playcount-complete', String(report.complete))
            .header('x-playcount-watermark', String(report.watermark))
            .send(dailyCsv(report.days))
        )
      },
    )
  }
}

const notFound = (kind: EntityKind, id: string): Error => new Errors.NOT_FOUND(kind === 'song' ? 'Song' : 'Artist', id)

/** The scope of a route about one song or artist (`:id`): its artist, and the 404 an unknown id gets. */
export function entityScope(ctx: ServingContext, kind: EntityKind): ScopeRule {
  const idOf = (req: FastifyRequest): string => (req.params as { id: string }).id
  return {
    artistOf: (req) =>
      kind === 'song' ? ctx.catalog.artistOf(idOf(req)) : ctx.catalog.artists.has(idOf(req)) ? idOf(req) : undefined,
    notFound: (req) => notFound(kind, idOf(req)),
  }
}

export async function dailyReport(
  ctx: ServingContext,
  kind: EntityKind,
  id: string,
  from?: string,
  to?: string,
  withParts = false,
): Promise<DailyReport> {
  return toReport(await prepare(ctx, kind, id, from, to), withParts)
}

interface Prepared extends DailyJsonInput {
  snapshot: BatchSnapshot
  merge: MergeInput
}

/** Everything a report is made of, whatever it is written as: names, range, one snapshot and the realtime answers. */
async function prepare(
  ctx: ServingContext,
  kind: EntityKind,
  id: string,
  from?: string,
  to?: string,
): Promise<Prepared> {
  const song = kind === 'song' ? ctx.catalog.songs.get(id) : undefined
  const artist = kind === 'artist' ? ctx.catalog.artists.get(id) : undefined
  if (!song && !artist) throw notFound(kind, id)
  const range = resolveRange(from, to, ctx.now())
  // One snapshot per request: its watermark and its views belong to the same batch run.
  const snapshot = ctx.batch.current
  const watermark = snapshot.watermark
  const rt = await collect(
    ctx.realtime,
    (v) => v.daily({ kind, id, from: range.first, to: range.last, watermark }),
    ctx.config.kafka.partitions,
    watermark,
  )
  const index = snapshot.indexes[kind]
  return {
    // A date the request gave is already in its one written form (parseDay accepted it): no need to write it again.
    kind,
    id,
    name: song ? song.title : artist!.name,
    artistId: song?.artistId,
    from: from ?? formatDay(range.first),
    to: to ?? formatDay(range.last),
    complete: rt.complete,
    missing: rt.missing,
    snapshot,
    merge: {
      first: range.first,
      last: range.last,
      watermark,
      batch: index.reader(id),
      realtime: rt.answers.map((a) => a.days),
    },
  }
}

function toReport(q: Prepared, withParts: boolean): DailyReport {
  const { days, totals } = mergeDaily({ ...q.merge, withParts })
  return {
    kind: q.kind,
    id: q.id,
    name: q.name,
    ...(q.artistId === undefined ? {} : { artistId: q.artistId }),
    from: q.from,
    to: q.to,
    watermark: q.merge.watermark,
    complete: q.complete,
    missing: q.missing,
    days,
    totals,
  }
}
