/**
 * GET /v1/charts/daily: the top songs or artists of a day with their rank the day before. Every id's values of a day
 * are merged by the daily route's rule (batch view + realtime answers for arrivals at or after W), then ranked by
 * plays, listeners, id — the order of the batch's top_songs_daily. With `country`, the same among the plays of
 * that country: the batch breakdown views (dimension country) and the speed layer's breakdown records.
 */
import type { FastifyInstance } from 'fastify'
import type { Static } from '@sinclair/typebox'
import { dayOfMs, formatDay, requireDay, type Day } from '../../shared/day.ts'
import { ADDITIVE_METRICS, METRICS, zeroValues, type MetricValues } from '../../shared/metrics.ts'
import type { EntityKind, RealtimeDayAnswer, RealtimeView } from '../../shared/realtime.ts'
import { dimensionByName, requireDimensionValue } from '../../shared/dimensions.ts'
import { breakdownId, type BatchSnapshot } from '../batch/load-views.ts'
import type { ServingContext } from '../context.ts'
import type { Source } from '../merge.ts'
import { mayRead } from '../../shared/access/keys.ts'
import { collect, type Missing } from '../realtime/fan-out.ts'
import { chartSchema, type ChartQuery } from '../schemas.ts'

interface Merged {
  id: string
  values: MetricValues
  /** The realtime part of `values` (the batch part is the rest). */
  realtimePart: MetricValues
  batch: boolean
  realtime: boolean
  listenersBoth: boolean
}

export interface ChartEntry extends MetricValues {
  rank: number
  id: string
  name: string
  artistId?: string
  listenersExact: boolean
  source: Source
  previousRank: number | null
  change: number | null
}

type AdditiveValues = Record<(typeof ADDITIVE_METRICS)[number]['name'], number>

/**
 * The day's additive metrics summed over every id the caller may see (all of them, not only the top `limit`), with
 * the batch and realtime parts. No listeners: the same person listens to many songs, and the views hold distinct
 * listeners per song and per artist only, so a sum would not count people.
 */
export interface ChartTotals extends AdditiveValues {
  entries: number
  parts: { batch: AdditiveValues; realtime: AdditiveValues }
}

export interface Chart {
  date: string
  kind: EntityKind
  /** The country the chart is of (?country=); absent: all plays. */
  country?: string
  watermark: number
  complete: boolean
  missing: Missing
  totals: ChartTotals
  entries: ChartEntry[]
}

function additiveZero(): AdditiveValues {
  return Object.fromEntries(ADDITIVE_METRICS.map((m) => [m.name, 0])) as AdditiveValues
}

function sumTotals(merged: readonly Merged[]): ChartTotals {
  const totals: ChartTotals = {
    entries: merged.length,
    ...additiveZero(),
    parts: { batch: additiveZero(), realtime: additiveZero() },
  }
  for (const m of merged) {
    for (const { name } of ADDITIVE_METRICS) {
      totals[name] += m.values[name]
      totals.parts.realtime[name] += m.realtimePart[name]
      totals.parts.batch[name] += m.values[name] - m.realtimePart[name]
    }
  }
  return totals
}

/** Calls `fn` with each id that has a batch row on `day` and its values (METRICS order, in `out`). */
type BatchDay = (day: Day, out: Float64Array, fn: (id: string) => void) => void

/**
 * The batch rows of a day: the daily view, or with `country` the breakdown view's rows of (id, country, value)
 * (dimension country: the event's, else the profile's; shared/dimensions.ts).
 */
function batchDay(snapshot: BatchSnapshot, kind: EntityKind, country: string | undefined): BatchDay {
  if (country === undefined) return (day, out, fn) => snapshot.indexes[kind].forEachOn(day, out, fn)
  const suffix = breakdownId('', 'country', country)
  return (day, out, fn) => snapshot.breakdowns[kind].forEachOnEnding(suffix, day, out, fn)
}

/** Every id's merged values of `day`, ranked. */
function ranked(batch: BatchDay, day: Day, answers: readonly RealtimeDayAnswer[]): Merged[] {
  const all = new Map<string, Merged>()
  const get = (id: string): Merged => {
    let m = all.get(id)
    if (m === undefined)
      all.set(
        id,
        (m = {
          id,
          values: zeroValues(),
          realtimePart: zeroValues(),
          batch: false,
          realtime: false,
          listenersBoth: false,
        }),
      )
    return m
  }
  const out = new Float64Array(METRICS.length)
  batch(day, out, (id) => {
    const m = get(id)
    METRICS.forEach((metric, i) => {
      m.values[metric.name] += out[i]!
    })
    m.batch = true
  })
  for (const a of answers) {
    for (const [id, values] of a.rows) {
      const m = get(id)
      if (m.batch && m.values.listeners > 0 && values.listeners > 0) m.listenersBoth = true
      for (const metric of METRICS) {
        m.values[metric.name] += values[metric.name]
        m.realtimePart[metric.name] += values[metric.name]
      }
      m.realtime = true
    }
  }
  return [...all.values()]
    .filter((m) => METRICS.some((x) => m.values[x.name] !== 0))
    .sort(
      (a, b) => b.values.plays - a.values.plays || b.values.listeners - a.values.listeners || (a.id < b.id ? -1 : 1),
    )
}

/**
 * `visible`: whether the caller may see an id (a key scoped to artists sees only its own entries, each with its true
 * rank among all, as on /v1/trending).
 */
export async function dailyChart(
  ctx: ServingContext,
  kind: EntityKind,
  date: string | undefined,
  limit: number,
  visible: (id: string) => boolean = () => true,
  country?: string,
): Promise<Chart> {
  const day = date === undefined ? dayOfMs(ctx.now()) : requireDay(date, 'date')
  if (country !== undefined) requireDimensionValue(dimensionByName('country')!, country, 'country')
  const snapshot = ctx.batch.current
  const watermark = snapshot.watermark
  const where = country === undefined ? {} : { where: { dimension: 'country', value: country } }
  const ask =
    (d: Day) =>
    (v: RealtimeView): Promise<RealtimeDayAnswer> =>
      v.dayAll({ kind, day: d, watermark, ...where })
  const [today, before] = await Promise.all([
    collect(ctx.realtime, ask(day), ctx.config.kafka.partitions, watermark),
    collect(ctx.realtime, ask(day - 1), ctx.config.kafka.partitions, watermark),
  ])
  const batch = batchDay(snapshot, kind, country)
  const previous = new Map(ranked(batch, day - 1, before.answers).map((m, i) => [m.id, i + 1]))
  const dayMerged = ranked(batch, day, today.answers)
  const entries = dayMerged
    .map((m, i): ChartEntry => {
      const previousRank = previous.get(m.id) ?? null
      const song = kind === 'song' ? ctx.catalog.songs.get(m.id) : undefined
      const name = song?.title ?? ctx.catalog.artists.get(m.id)?.name ?? m.id
      return {
        rank: i + 1,
        id: m.id,
        name,
        ...(song === undefined ? {} : { artistId: song.artistId }),
        ...m.values,
        listenersExact: !m.listenersBoth,
        source: m.batch && m.realtime ? 'batch+realtime' : m.batch ? 'batch' : 'realtime',
        previousRank,
        change: previousRank === null ? null : previousRank - (i + 1),
      }
    })
    .filter((e) => visible(e.id))
    .slice(0, limit)
  const totals = sumTotals(dayMerged.filter((m) => visible(m.id)))
  const complete = today.complete && before.complete
  return {
    date: formatDay(day),
    kind,
    ...(country === undefined ? {} : { country }),
    watermark,
    complete,
    missing: complete ? today.missing : today.complete ? before.missing : today.missing,
    totals,
    entries,
  }
}

export function chartRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get<{ Querystring: Static<typeof ChartQuery> }>(
    '/v1/charts/daily',
    { schema: chartSchema, config: { scope: 'filtered' } },
    async (req) => {
      const kind = (req.query.kind ?? 'song') as EntityKind
      const p = req.principal
      const visible = (id: string): boolean => {
        if (p === undefined || p.artists === 'all') return true
        const artist = kind === 'artist' ? id : ctx.catalog.artistOf(id)
        return artist !== undefined && mayRead(p, artist)
      }
      return dailyChart(ctx, kind, req.query.date, req.query.limit ?? 50, visible, req.query.country)
    },
  )
}
