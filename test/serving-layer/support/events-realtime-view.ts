/**
 * A small but real RealtimeView for tests and the bench: it computes its answers from the events it was given
 * (with their arrival time and partition), with the shared metric definitions, honouring the watermark contract
 * (only arrivals >= W; not ready for a W older than the buckets it kept). The real speed layer plugs in instead.
 */
import type { Catalog } from '../../../shared/catalog/catalog.ts'
import { dayOfMs, parseDay, type Day } from '../../../shared/day.ts'
import type { ListenEvent } from '../../../shared/event.ts'
import { dayOf, hourStart } from '../../../shared/layout.ts'
import { METRICS, contribution, distinctValue, zeroValues, type MetricValues } from '../../../shared/metrics.ts'
import { dimensionByName, dimensionValue } from '../../../shared/dimensions.ts'
import type {
  EntityKind,
  RealtimeBreakdownAnswer,
  RealtimeBreakdownQuery,
  RealtimeDailyAnswer,
  RealtimeDayAnswer,
  RealtimeDayQuery,
  RealtimeDailyQuery,
  RealtimeView,
  SpeedStatus,
  TrendingAnswer,
  TrendingQuery,
} from '../../../shared/realtime.ts'

export interface ArrivedEvent {
  event: ListenEvent
  arrivedAt: number
  partition: number
}

const WINDOW_MS = { '5m': 300_000, '1h': 3_600_000, '24h': 86_400_000 } as const

/** Aggregates events per event day with METRICS: the ground truth of the tests. */
export function aggregate(events: Iterable<ArrivedEvent>): Map<string, MetricValues> {
  return aggregateBy(events, (e) => dayOf(e.ts))
}

/** Aggregates events per key with METRICS (listeners: distinct over the group); undefined keys are left out. */
function aggregateBy<K>(
  events: Iterable<ArrivedEvent>,
  keyOf: (e: ListenEvent) => K | undefined,
): Map<K, MetricValues> {
  const groups = new Map<K, { v: MetricValues; sets: Map<string, Set<string>> }>()
  for (const { event } of events) {
    const key = keyOf(event)
    if (key === undefined) continue
    let d = groups.get(key)
    if (!d) groups.set(key, (d = { v: zeroValues(), sets: new Map() }))
    for (const m of METRICS) {
      if (m.kind !== 'distinct') {
        d.v[m.name] += contribution(m, event)
        continue
      }
      const value = distinctValue(m, event)
      if (value === undefined) continue
      let set = d.sets.get(m.name)
      if (!set) d.sets.set(m.name, (set = new Set()))
      set.add(value)
      d.v[m.name] = set.size
    }
  }
  return new Map([...groups].map(([k, d]) => [k, d.v]))
}

interface Bucket {
  values: MetricValues
  sets: Map<string, Set<string>>
}

/**
 * Counters as a speed layer keeps them: per entity, event day and ARRIVAL hour, so a query for W adds the buckets
 * from W on, and buckets before a W every reader has moved past can be dropped.
 */
export class EventsRealtimeView implements RealtimeView {
  readonly name: string
  ready = true
  reason: string | undefined
  /** Buckets before this were dropped: a query for an older W cannot be answered. */
  oldestWatermark = 0
  private readonly buckets = new Map<string, Map<string, Map<number, Bucket>>>()
  /** Every event taken, for breakdowns and day answers (a W before `oldestWatermark` is refused, as in daily). */
  private readonly arrived: ArrivedEvent[] = []
  private readonly plays: Array<{ arrivedAt: number; song: string; artist: string }> = []
  private readonly owned: Set<number>
  private readonly partitions: number[]
  private readonly now: () => number

  constructor(
    private readonly catalog: Catalog,
    opts: { name: string; partitions: number[]; now?: () => number },
  ) {
    this.name = opts.name
    this.owned = new Set(opts.partitions)
    this.partitions = [...opts.partitions]
    this.now = opts.now ?? Date.now
  }

  /** Takes the events of the partitions this instance owns. */
  ingest(events: Iterable<ArrivedEvent>): void {
    for (const arrived of events) {
      const { event, arrivedAt, partition } = arrived
      if (!this.owned.has(partition)) continue
      this.arrived.push(arrived)
      const day = dayOf(event.ts)
      const hour = hourStart(arrivedAt)
      const artist = this.catalog.artistOf(event.songId) ?? ''
      if (event.type === 'play') this.plays.push({ arrivedAt, song: event.songId, artist })
      for (const key of [`song:${event.songId}`, `artist:${artist}`]) {
        let days = this.buckets.get(key)
        if (!days) this.buckets.set(key, (days = new Map()))
        let hours = days.get(day)
        if (!hours) days.set(day, (hours = new Map()))
        let b = hours.get(hour)
        if (!b) hours.set(hour, (b = { values: zeroValues(), sets: new Map() }))
        for (const m of METRICS) {
          if (m.kind !== 'distinct') {
            b.values[m.name] += contribution(m, event)
            continue
          }
          const value = distinctValue(m, event)
          if (value === undefined) continue
          let set = b.sets.get(m.name)
          if (!set) b.sets.set(m.name, (set = new Set()))
          set.add(value)
          b.values[m.name] = set.size
        }
      }
    }
  }

  /** What the speed layer does once every reader moved to a new W: forget arrival hours before it. */
  dropBefore(watermark: number): void {
    this.oldestWatermark = Math.max(this.oldestWatermark, watermark)
    for (const days of this.buckets.values()) {
      for (const hours of days.values())
        for (const hour of hours.keys()) if (hour < this.oldestWatermark) hours.delete(hour)
    }
  }

  async daily(q: RealtimeDailyQuery): Promise<RealtimeDailyAnswer> {
    const base = { watermark: q.watermark, partitions: this.partitions, days: new Map<Day, MetricValues>() }
    if (!this.ready) return { ...base, ready: false, reason: this.reason ?? 'rebuilding' }
    if (q.watermark < this.oldestWatermark)
      return { ...base, ready: false, reason: `buckets before ${new Date(this.oldestWatermark).toISOString()} dropped` }
    const days = new Map<Day, MetricValues>()
    for (const [date, hours] of this.buckets.get(`${q.kind}:${q.id}`) ?? []) {
      const day = parseDay(date)!
      if (day < q.from || day > q.to) continue
      const v = sumBuckets(hours, q.watermark)
      if (v) days.set(day, v)
    }
    return { ...base, ready: true, days }
  }

  /** Breakdowns from the events themselves (no listener profiles: the profile dimensions are `unknown`). */
  async breakdown(q: RealtimeBreakdownQuery): Promise<RealtimeBreakdownAnswer> {
    const dim = dimensionByName(q.dimension)!
    const base = { watermark: q.watermark, partitions: this.partitions }
    const notReady = this.notReady(q.watermark)
    if (notReady !== undefined) return { ...base, ready: false, reason: notReady, rows: [] }
    const groups = aggregateBy(this.since(q.watermark), (e) => {
      const day = dayOfMs(e.ts)
      if (this.idOf(q.kind, e) !== q.id || day < q.from || day > q.to) return undefined
      return `${day}|${dimensionValue(dim, e, undefined)}`
    })
    const rows = [...groups]
      .map(([key, v]) => [Number(key.split('|')[0]), key.split('|')[1]!, v] as const)
      .sort((a, b) => a[0] - b[0])
    return { ...base, ready: true, rows }
  }

  async dayAll(q: RealtimeDayQuery): Promise<RealtimeDayAnswer> {
    const base = { watermark: q.watermark, partitions: this.partitions }
    const notReady = this.notReady(q.watermark)
    if (notReady !== undefined) return { ...base, ready: false, reason: notReady, rows: [] }
    const dim = q.where === undefined ? undefined : dimensionByName(q.where.dimension)!
    const groups = aggregateBy(this.since(q.watermark), (e) =>
      dayOfMs(e.ts) === q.day && (dim === undefined || dimensionValue(dim, e, undefined) === q.where!.value)
        ? this.idOf(q.kind, e)
        : undefined,
    )
    return { ...base, ready: true, rows: [...groups] }
  }

  private notReady(watermark: number): string | undefined {
    if (!this.ready) return this.reason ?? 'rebuilding'
    if (watermark < this.oldestWatermark)
      return `buckets before ${new Date(this.oldestWatermark).toISOString()} dropped`
    return undefined
  }

  private since(watermark: number): ArrivedEvent[] {
    return this.arrived.filter((a) => a.arrivedAt >= watermark)
  }

  private idOf(kind: EntityKind, e: ListenEvent): string {
    return kind === 'song' ? e.songId : (this.catalog.artistOf(e.songId) ?? '')
  }

  async trending(q: TrendingQuery): Promise<TrendingAnswer> {
    const since = this.now() - WINDOW_MS[q.window]
    const plays = new Map<string, number>()
    for (const p of this.plays) {
      if (p.arrivedAt < since) continue
      const id = q.kind === 'song' ? p.song : p.artist
      plays.set(id, (plays.get(id) ?? 0) + 1)
    }
    const items = [...plays]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, q.limit)
      .map(([id, n]) => ({ id, plays: n }))
    return { ready: this.ready, partitions: [...this.owned], items }
  }

  async status(): Promise<SpeedStatus> {
    return {
      instance: this.name,
      ready: this.ready,
      eventsPerSecond: 0,
      oldestWatermark: this.oldestWatermark,
      partitions: [...this.owned].map((partition) => ({ partition, ready: this.ready, lag: 0 })),
    }
  }
}

/** The buckets of arrival hours from W on: additive metrics add, distinct ones count the union of the sets. */
function sumBuckets(hours: Map<number, Bucket>, watermark: number): MetricValues | undefined {
  let v: MetricValues | undefined
  let first: Bucket | undefined
  let used = 0
  for (const [hour, b] of hours) {
    if (hour < watermark) continue
    used++
    first ??= b
    v ??= zeroValues()
    for (const m of METRICS) if (m.kind !== 'distinct') v[m.name] += b.values[m.name]
  }
  if (!v || !first) return undefined
  for (const m of METRICS) {
    if (m.kind !== 'distinct') continue
    if (used === 1) {
      v[m.name] = first.values[m.name]
      continue
    }
    const union = new Set<string>()
    for (const [hour, b] of hours) if (hour >= watermark) for (const x of b.sets.get(m.name) ?? []) union.add(x)
    v[m.name] = union.size
  }
  return v
}
