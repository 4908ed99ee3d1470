/**
 * GET /v1/songs/:id/breakdown and /v1/artists/:id/breakdown: one song's or artist's metrics per value of a dimension
 * over a range. Each value's days are merged by the daily route's rule (merge.ts: batch breakdown view + realtime
 * breakdowns of arrivals at or after W), then summed over the range.
 */
import type { FastifyInstance } from 'fastify'
import type { Static } from '@sinclair/typebox'
import { create as contentDisposition } from 'content-disposition'
import { formatDay, resolveRange, type Day } from '../../shared/day.ts'
import { DIMENSIONS, UNKNOWN, type DimensionDef, type DimensionName } from '../../shared/dimensions.ts'
import { Errors } from '../../shared/errors.ts'
import { METRICS, type MetricValues } from '../../shared/metrics.ts'
import type { EntityKind, RealtimeBreakdownAnswer, RealtimeView } from '../../shared/realtime.ts'
import { breakdownId, breakdownValues } from '../batch/load-views.ts'
import type { ServingContext } from '../context.ts'
import { mergeTotals, type Source, type Totals } from '../merge.ts'
import { collect, type Missing } from '../realtime/fan-out.ts'
import { entityScope } from './daily.ts'
import { breakdownSchema, type BreakdownQuery, type DailyParams } from '../schemas.ts'

export interface BreakdownValue extends Totals {
  value: string
  source: Source
}

export interface BreakdownReport {
  kind: EntityKind
  id: string
  name: string
  by: DimensionName
  from: string
  to: string
  watermark: number
  complete: boolean
  missing: Missing
  values: BreakdownValue[]
}

const CSV_COLUMNS = ['value', ...METRICS.map((m) => m.name), 'listenersExact', 'source'] as const

const valueSets = new Map<DimensionDef, ReadonlySet<string>>()

/** A dimension's values and UNKNOWN: the values a breakdown answers for. */
function dimensionValues(dim: DimensionDef): ReadonlySet<string> {
  let set = valueSets.get(dim)
  if (set === undefined) valueSets.set(dim, (set = new Set([...dim.values, UNKNOWN])))
  return set
}

export async function breakdownReport(
  ctx: ServingContext,
  kind: EntityKind,
  id: string,
  by: DimensionName,
  from?: string,
  to?: string,
): Promise<BreakdownReport> {
  const song = kind === 'song' ? ctx.catalog.songs.get(id) : undefined
  const artist = kind === 'artist' ? ctx.catalog.artists.get(id) : undefined
  if (!song && !artist) throw new Errors.NOT_FOUND(kind === 'song' ? 'Song' : 'Artist', id)
  const dim = DIMENSIONS.find((d) => d.name === by)
  if (dim === undefined) throw new Errors.BAD_REQUEST(`by must be one of ${DIMENSIONS.map((d) => d.name).join(', ')}`)
  const range = resolveRange(from, to, ctx.now())
  const snapshot = ctx.batch.current
  const watermark = snapshot.watermark
  const ask = (v: RealtimeView): Promise<RealtimeBreakdownAnswer> =>
    v.breakdown({ kind, id, dimension: by, from: range.first, to: range.last, watermark })
  const rt = await collect(ctx.realtime, ask, ctx.config.kafka.partitions, watermark)
  // Per value, one map of days per realtime answer (the merge adds answers).
  const realtime = new Map<string, Array<Map<Day, MetricValues>>>()
  rt.answers.forEach((a, i) => {
    for (const [day, value, values] of a.rows) {
      let perAnswer = realtime.get(value)
      if (perAnswer === undefined) realtime.set(value, (perAnswer = rt.answers.map(() => new Map())))
      perAnswer[i]!.set(day, values)
    }
  })
  const index = snapshot.breakdowns[kind]
  // Only the values with rows in the batch view or a realtime answer can have data (a few of a dimension's many).
  const allowed = dimensionValues(dim)
  const present = new Set([...breakdownValues(index, id, by), ...realtime.keys()].filter((v) => allowed.has(v)))
  const values: BreakdownValue[] = []
  for (const value of present) {
    const merged = mergeTotals({
      first: range.first,
      last: range.last,
      watermark,
      batch: index.reader(breakdownId(id, by, value)),
      realtime: realtime.get(value) ?? [],
    })
    if (merged !== undefined) values.push({ value, ...merged.totals, source: merged.source })
  }
  values.sort((a, b) => b.plays - a.plays || (a.value < b.value ? -1 : 1))
  return {
    kind,
    id,
    name: song ? song.title : artist!.name,
    by,
    from: formatDay(range.first),
    to: formatDay(range.last),
    watermark,
    complete: rt.complete,
    missing: rt.missing,
    values,
  }
}

export function breakdownRoutes(app: FastifyInstance, ctx: ServingContext): void {
  for (const kind of ['song', 'artist'] as const) {
    app.get<{ Params: Static<typeof DailyParams>; Querystring: Static<typeof BreakdownQuery> }>(
      `/v1/${kind}s/:id/breakdown`,
      { schema: breakdownSchema(kind), config: { scope: entityScope(ctx, kind) } },
      async (req, reply) => {
        const { by, from, to, format } = req.query
        const report = await breakdownReport(ctx, kind, req.params.id, by, from, to)
        if (format !== 'csv') return report
        const lines = [
          CSV_COLUMNS.join(','),
          ...report.values.map((v) => CSV_COLUMNS.map((c) => String(v[c as keyof BreakdownValue])).join(',')),
        ]
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            contentDisposition(`${kind}-${report.id}-${by}-${report.from}-${report.to}.csv`, { type: 'inline' }),
          )
          .header('x-playcount-complete', String(report.complete))
          .header('x-playcount-watermark', String(report.watermark))
          .send(`${lines.join('\n')}\n`)
      },
    )
  }
}
