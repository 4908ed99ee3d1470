/**
 * The realtime view: what the speed layer answers and the serving layer merges. Served in-process (the speed
 * layer's object) or over HTTP by each speed instance (routes below), so the serving layer can fan out.
 *
 * Merge rule (docs/ARCHITECTURE.md#watermark-and-the-merge-rule):
 * value(day) = batch(day, arrivals < W) + realtime(day, arrivals >= W).
 * The Kafka key is the userId, so one listener lives in exactly one partition: distinct listeners of the realtime
 * part are additive across partitions and so across speed instances.
 */
import type { Day } from './day.ts'
import type { MetricValues } from './metrics.ts'

export type EntityKind = 'song' | 'artist'
export type TrendingWindow = '5m' | '1h' | '24h'
export const TRENDING_WINDOWS: readonly TrendingWindow[] = ['5m', '1h', '24h']

export interface RealtimeDailyQuery {
  kind: EntityKind
  id: string
  /** Event days, inclusive (shared/day.ts; 'YYYY-MM-DD' only on the wire of SPEED_ROUTES). */
  from: Day
  to: Day
  /** Count only events that arrived at or after this (epoch ms, an arrival-hour boundary). */
  watermark: number
}

export interface RealtimeDailyAnswer {
  /** False when this instance cannot serve the watermark asked for (rebuilding, or its buckets before W are gone). */
  ready: boolean
  reason?: string
  watermark: number
  /** The partitions this answer covers (assigned to the instance and caught up). */
  partitions: number[]
  /** Only the days that have realtime data (on the wire: an object keyed by 'YYYY-MM-DD'). */
  days: ReadonlyMap<Day, MetricValues>
}

/** One song's or artist's metrics per (event day, value) of one dimension (shared/dimensions.ts). */
export interface RealtimeBreakdownQuery extends RealtimeDailyQuery {
  dimension: string
}

export interface RealtimeBreakdownAnswer {
  ready: boolean
  reason?: string
  watermark: number
  partitions: number[]
  /** Only (day, value) pairs with realtime data, ordered by day. */
  rows: ReadonlyArray<readonly [day: Day, value: string, values: MetricValues]>
}

/**
 * Every song's or artist's metrics of one event day (the daily charts), arrivals at or after the watermark; with
 * `where`, only the events whose value of that dimension is `value` (a country's chart: shared/dimensions.ts).
 */
export interface RealtimeDayQuery {
  kind: EntityKind
  day: Day
  watermark: number
  where?: DimensionFilter
}
export interface DimensionFilter {
  /** A dimension name (shared/dimensions.ts) and one of its values, or `unknown`. */
  dimension: string
  value: string
}
export interface RealtimeDayAnswer {
  ready: boolean
  reason?: string
  watermark: number
  partitions: number[]
  /** Only ids with realtime data that day. */
  rows: ReadonlyArray<readonly [id: string, values: MetricValues]>
}

export interface TrendingQuery {
  kind: EntityKind
  window: TrendingWindow
  limit: number
}
export interface TrendingItem {
  id: string
  plays: number
}
export interface TrendingAnswer {
  ready: boolean
  partitions: number[]
  items: TrendingItem[]
}

export interface SpeedStatus {
  instance: string
  ready: boolean
  /** Partitions assigned, and whether each is caught up (rebuilt to the end of the log it saw at assignment). */
  partitions: Array<{ partition: number; ready: boolean; lag: number }>
  eventsPerSecond: number
  oldestWatermark: number
}

export interface RealtimeView {
  daily(q: RealtimeDailyQuery): Promise<RealtimeDailyAnswer>
  /** Breakdowns, counted by the same arrival buckets as `daily` (so the watermark merge is the same). */
  breakdown(q: RealtimeBreakdownQuery): Promise<RealtimeBreakdownAnswer>
  /** For the daily charts. */
  dayAll(q: RealtimeDayQuery): Promise<RealtimeDayAnswer>
  trending(q: TrendingQuery): Promise<TrendingAnswer>
  status(): Promise<SpeedStatus>
}

/** HTTP routes each speed instance serves for the fan-out (query strings carry the fields of the queries). */
export const SPEED_ROUTES = {
  daily: '/internal/speed/daily',
  breakdown: '/internal/speed/breakdown',
  dayAll: '/internal/speed/day-all',
  trending: '/internal/speed/trending',
  status: '/internal/speed/status',
} as const
