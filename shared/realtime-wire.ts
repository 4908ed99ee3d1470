/**
 * The HTTP edge of the realtime view (SPEED_ROUTES): in-process the view speaks day numbers (shared/day.ts); on the
 * wire a day is 'YYYY-MM-DD', in the query string (`from`, `to`, `day`), as the keys of a daily answer's `days` and
 * as the first item of a breakdown answer's rows. Both ends convert here, so the wire format stays the one
 * documented in docs/ARCHITECTURE.md#realtime-view.
 */
import { formatDay, parseDay, requireDay, type Day } from './day.ts'
import { dimensionByName, requireDimensionValue, DIMENSION_NAMES } from './dimensions.ts'
import { Errors } from './errors.ts'
import type { MetricValues } from './metrics.ts'
import type {
  EntityKind,
  RealtimeBreakdownAnswer,
  RealtimeBreakdownQuery,
  RealtimeDailyAnswer,
  RealtimeDailyQuery,
  RealtimeDayQuery,
} from './realtime.ts'

export interface WireDailyQuery {
  kind: EntityKind
  id: string
  from: string
  to: string
  watermark: number
}
export interface WireDailyAnswer extends Omit<RealtimeDailyAnswer, 'days'> {
  days: Record<string, MetricValues>
}

export interface WireBreakdownQuery extends WireDailyQuery {
  dimension: string
}
export interface WireBreakdownAnswer extends Omit<RealtimeBreakdownAnswer, 'rows'> {
  rows: Array<[date: string, value: string, values: MetricValues]>
}

export interface WireDayQuery {
  kind: EntityKind
  day: string
  watermark: number
  /** Both or neither: the filter of RealtimeDayQuery.where. */
  dimension?: string
  value?: string
}

/** A query string's days, strictly parsed: a bad one is a 400 naming the parameter. */
export function dailyQueryFromWire(q: WireDailyQuery): RealtimeDailyQuery {
  return {
    kind: q.kind,
    id: q.id,
    from: requireDay(q.from, 'from (querystring)'),
    to: requireDay(q.to, 'to (querystring)'),
    watermark: q.watermark,
  }
}

export function breakdownQueryFromWire(q: WireBreakdownQuery): RealtimeBreakdownQuery {
  return { ...dailyQueryFromWire(q), dimension: requireDimension(q.dimension) }
}

export function dayQueryFromWire(q: WireDayQuery): RealtimeDayQuery {
  const out: RealtimeDayQuery = { kind: q.kind, day: requireDay(q.day, 'day (querystring)'), watermark: q.watermark }
  if (q.dimension === undefined && q.value === undefined) return out
  if (q.dimension === undefined || q.value === undefined)
    throw new Errors.BAD_REQUEST(
      `${q.dimension === undefined ? 'dimension' : 'value'} (querystring) is required with ${q.dimension === undefined ? 'value' : 'dimension'}`,
    )
  const dimension = requireDimension(q.dimension)
  out.where = { dimension, value: requireDimensionValue(dimensionByName(dimension)!, q.value, 'value (querystring)') }
  return out
}

/** The query string of a RealtimeDayQuery (the client's side of dayQueryFromWire). */
export function dayQueryToWire(q: RealtimeDayQuery): string {
  const base = `kind=${q.kind}&day=${formatDay(q.day)}&watermark=${q.watermark}`
  return q.where === undefined
    ? base
    : `${base}&dimension=${encodeURIComponent(q.where.dimension)}&value=${encodeURIComponent(q.where.value)}`
}

function requireDimension(name: string): string {
  if (dimensionByName(name) !== undefined) return name
  throw new Errors.BAD_REQUEST(
    `dimension (querystring) must be one of ${DIMENSION_NAMES.join(', ')} (got ${JSON.stringify(name)})`,
  )
}

export function dailyAnswerToWire(a: RealtimeDailyAnswer): WireDailyAnswer {
  const days: Record<string, MetricValues> = {}
  for (const [day, values] of a.days) days[formatDay(day)] = values
  return { ...a, days }
}

export function breakdownAnswerToWire(a: RealtimeBreakdownAnswer): WireBreakdownAnswer {
  return { ...a, rows: a.rows.map(([day, value, values]) => [formatDay(day), value, values]) }
}

/** An answer's days back to day numbers; undefined when a key is not a calendar date (a malformed answer). */
export function daysFromWire(days: Record<string, MetricValues>): Map<Day, MetricValues> | undefined {
  const out = new Map<Day, MetricValues>()
  for (const key of Object.keys(days)) {
    const day = parseDay(key)
    if (day === undefined) return undefined
    out.set(day, days[key]!)
  }
  return out
}

/** A breakdown answer's rows back to day numbers; undefined when a date is not a calendar date. */
export function breakdownRowsFromWire(rows: WireBreakdownAnswer['rows']): RealtimeBreakdownAnswer['rows'] | undefined {
  const out: Array<readonly [Day, string, MetricValues]> = []
  for (const [date, value, values] of rows) {
    const day = parseDay(date)
    if (day === undefined) return undefined
    out.push([day, value, values])
  }
  return out
}
