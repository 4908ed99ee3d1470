/**
 * The HTTP edge of the realtime view (SPEED_ROUTES): in-process the view speaks day numbers (shared/day.ts); on the
 * wire a day is 'YYYY-MM-DD', in the query string (`from`, `to`) and as the keys of an answer's `days`. Both ends
 * convert here, so the wire format stays the one documented in docs/ARCHITECTURE.md#realtime-view.
 */
import { formatDay, parseDay, requireDay, type Day } from './day.ts'
import type { MetricValues } from './metrics.ts'
import type { EntityKind, RealtimeDailyAnswer, RealtimeDailyQuery } from './realtime.ts'

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

export function dailyAnswerToWire(a: RealtimeDailyAnswer): WireDailyAnswer {
  const days: Record<string, MetricValues> = {}
  for (const [day, values] of a.days) days[formatDay(day)] = values
  return { ...a, days }
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
