/**
 * GET /v1/charts/daily: the top songs or artists of a day with their rank the day before. Every id's values of a day
 * are merged by the daily route's rule (batch view + realtime answers for arrivals at or after W), then ranked by
 * plays, listeners, id — the order of the batch's top_songs_daily. With `country`, the same among the plays of
 * that country: the batch breakdown views (dimension country) and the speed layer's breakdown records.
 */
import type { FastifyInstance } from 'fastify'
import type { Static } from '@sinclair/typebox'
import { dayOfMs, formatDay, requireDay, type Day } from '../../shared/day.ts'
import { ADDITIVE_METRICS, METRICS, type MetricValues } from '../../shared/metrics.ts'
import type { EntityKind, RealtimeDayAnswer, RealtimeView } from '../../shared/realtime.ts'
import { dimensionByName, requireDimensionValue } from '../../shared/dimensions.ts'
import { dayTable, type DayTable } from '../batch/day-table.ts'
import { breakdownId, type BatchSnapshot } from '../batch/load-views.ts'
import type { ServingContext } from '../context.ts'
import type { Source } from '../merge.ts'
import { mayRead } from '../../shared/access/keys.ts'
import { collect, type Missing } from '../realtime/fan-out.ts'
import { chartSchema, type ChartQuery } from '../schemas.ts'

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

const NAMES = METRICS.map((m) => m.name)
const M = NAMES.length
const PLAYS = NAMES.indexOf('plays')
const LISTENERS = NAMES.indexOf('listeners')
const ADDITIVE = ADDITIVE_METRICS.map((a) => NAMES.indexOf(a.name))
const BATCH = 1
const REALTIME = 2
const LISTENERS_BOTH = 4

/**
 * Every id's merged values of a day as columns (no object per id: a chart ranks thousands of ids and shows 50), and
 * the rows with data in rank order.
 */
interface MergedDay {
  ids: readonly string[]
  /** Row i's merged values at i * M (METRICS order). */
  values: Float64Array
  /** Row i's realtime part (the batch part is the rest). */
  realtime: Float64Array
  /** BATCH | REALTIME | LISTENERS_BOTH per row. */
  flags: Uint8Array
  rowOf: (id: string) => number | undefined
  /** The rows with data (any metric not zero), in no order. */
  withData: number[]
}

/** The batch rows of the day (a table kept per snapshot) plus the realtime answers, by the merge rule. */
function mergedDay(table: DayTable, answers: readonly RealtimeDayAnswer[]): MergedDay {
  const size = answers.reduce((n, a) => n + a.rows.length, table.ids.length)
  const values = new Float64Array(size * M)
  values.set(table.values)
  const realtime = new Float64Array(size * M)
  const flags = new Uint8Array(size).fill(BATCH, 0, table.ids.length)
  let ids = table.ids
  const added = new Map<string, number>()
  const rowOf = (id: string): number | undefined => table.rowOf.get(id) ?? added.get(id)
  for (const a of answers) {
    for (const [id, v] of a.rows) {
      let i = rowOf(id)
      if (i === undefined) {
        if (ids === table.ids) ids = [...table.ids]
        added.set(id, (i = ids.length))
        ;(ids as string[]).push(id)
      }
      const at = i * M
      if (flags[i]! & BATCH && values[at + LISTENERS]! > 0 && v.listeners > 0) flags[i]! |= LISTENERS_BOTH
      for (let m = 0; m < M; m++) {
        values[at + m]! += v[NAMES[m]!]
        realtime[at + m]! += v[NAMES[m]!]
      }
      flags[i]! |= REALTIME
    }
  }
  const day = { ids, values, realtime, flags, rowOf, withData: [] as number[] }
  for (let i = 0; i < ids.length; i++) if (hasData(day, i)) day.withData.push(i)
  return day
}

/** Whether row `row` has data: any metric not zero (an id whose rows sum to nothing is not ranked). */
function hasData(day: Pick<MergedDay, 'values'>, row: number): boolean {
  for (let m = 0; m < M; m++) if (day.values[row * M + m] !== 0) return true
  return false
}

/** Whether row `a` ranks before row `b`: more plays, then more listeners, then the smaller id. */
function ranksBefore(day: MergedDay, a: number, b: number): boolean {
  const { values, ids } = day
  const plays = values[a * M + PLAYS]! - values[b * M + PLAYS]!
  if (plays !== 0) return plays > 0
  const listeners = values[a * M + LISTENERS]! - values[b * M + LISTENERS]!
  if (listeners !== 0) return listeners > 0
  return ids[a]! < ids[b]!
}

/**
 * The ranks (from 1) of `rows` (rows with data) among all rows with data, by row: one pass over the day that finds,
 * for each row, the first of the sorted `rows` it ranks before (a binary search), instead of a sort of every id.
 */
function ranksOf(day: MergedDay, rows: readonly number[]): Map<number, number> {
  const sorted = [...rows].sort((a, b) => (ranksBefore(day, a, b) ? -1 : 1))
  const beaten = new Int32Array(sorted.length + 1)
  for (const i of day.withData) {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ranksBefore(day, i, sorted[mid]!)) hi = mid
      else lo = mid + 1
    }
    beaten[lo]!++
  }
  const ranks = new Map<number, number>()
  let better = 0
  sorted.forEach((row, j) => {
    better += beaten[j]!
    ranks.set(row, better + 1)
  })
  return ranks
}

/** The first `limit` rows with data the caller may see, in rank order (a kept top list, not a sort of every id). */
function top(day: MergedDay, limit: number, visible: (id: string) => boolean): number[] {
  const best: number[] = []
  for (const i of day.withData) {
    if (best.length === limit && !ranksBefore(day, i, best[limit - 1]!)) continue
    if (!visible(day.ids[i]!)) continue
    let at = best.length
    while (at > 0 && ranksBefore(day, i, best[at - 1]!)) at--
    best.splice(at, 0, i)
    if (best.length > limit) best.pop()
  }
  return best
}

/** The additive metrics summed over the rows with data the caller may see. */
function sumTotals(day: MergedDay, visible: (id: string) => boolean): ChartTotals {
  const A = ADDITIVE.length
  const sums = new Float64Array(2 * A)
  let entries = 0
  for (const i of day.withData) {
    if (!visible(day.ids[i]!)) continue
    entries++
    for (let k = 0; k < A; k++) {
      sums[k]! += day.values[i * M + ADDITIVE[k]!]!
      sums[A + k]! += day.realtime[i * M + ADDITIVE[k]!]!
    }
  }
  const totals: ChartTotals = { entries, ...additiveZero(), parts: { batch: additiveZero(), realtime: additiveZero() } }
  ADDITIVE_METRICS.forEach(({ name }, k) => {
    totals[name] = sums[k]!
    totals.parts.realtime[name] = sums[A + k]!
    totals.parts.batch[name] = sums[k]! - sums[A + k]!
  })
  return totals
}

/**
 * The batch rows of a day: the daily view, or with `country` the breakdown view's rows of (id, country, value)
 * (dimension country: the event's, else the profile's; shared/dimensions.ts).
 */
function batchDay(snapshot: BatchSnapshot, kind: EntityKind, country: string | undefined, day: Day): DayTable {
  if (country === undefined) return dayTable(snapshot.indexes[kind], day)
  return dayTable(snapshot.breakdowns[kind], day, breakdownId('', 'country', country))
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
  const previous = mergedDay(batchDay(snapshot, kind, country, day - 1), before.answers)
  const merged = mergedDay(batchDay(snapshot, kind, country, day), today.answers)
  const entries: ChartEntry[] = []
  // Entry objects for the top `limit` the caller may see only.
  const shown = top(merged, limit, visible)
  const ranks = ranksOf(merged, shown)
  const previousRows = shown.map((i) => previous.rowOf(merged.ids[i]!)).filter((r) => r !== undefined)
  const previousRanks = ranksOf(
    previous,
    previousRows.filter((r) => hasData(previous, r)),
  )
  for (const i of shown) {
    const id = merged.ids[i]!
    const rank = ranks.get(i)!
    const row = previous.rowOf(id)
    const previousRank = row === undefined ? null : (previousRanks.get(row) ?? null)
    const song = kind === 'song' ? ctx.catalog.songs.get(id) : undefined
    const entry = {
      rank,
      id,
      name: song?.title ?? ctx.catalog.artists.get(id)?.name ?? id,
      ...(song === undefined ? {} : { artistId: song.artistId }),
    } as ChartEntry
    for (let m = 0; m < M; m++) entry[NAMES[m]!] = merged.values[i * M + m]!
    const flags = merged.flags[i]!
    entry.listenersExact = (flags & LISTENERS_BOTH) === 0
    entry.source = flags & BATCH && flags & REALTIME ? 'batch+realtime' : flags & BATCH ? 'batch' : 'realtime'
    entry.previousRank = previousRank
    entry.change = previousRank === null ? null : previousRank - rank
    entries.push(entry)
  }
  const totals = sumTotals(merged, visible)
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
