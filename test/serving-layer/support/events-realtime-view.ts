/**
 * A small but real RealtimeView for tests and the bench: it computes its answers from the events it was given
 * (with their arrival time and partition), with the shared metric definitions, honouring the watermark contract
 * (only arrivals >= W; not ready for a W older than the buckets it kept). The real speed layer plugs in instead.
 */
import type { Catalog } from '../../../shared/catalog.ts'
import type { ListenEvent } from '../../../shared/event.ts'
import { dayOf } from '../../../shared/layout.ts'
import { METRICS, contribution, distinctValue, zeroValues, type MetricValues } from '../../../shared/metrics.ts'
import type {
  EntityKind, RealtimeDailyAnswer, RealtimeDailyQuery, RealtimeView, SpeedStatus, TrendingAnswer, TrendingQuery,
} from '../../../shared/realtime.ts'

export interface ArrivedEvent { event: ListenEvent; arrivedAt: number; partition: number }

const WINDOW_MS = { '5m': 300_000, '1h': 3_600_000, '24h': 86_400_000 } as const

/** Aggregates events per event day with METRICS (the ground truth of the tests uses it too). */
export function aggregate(events: Iterable<ArrivedEvent>): Map<string, MetricValues> {
  const days = new Map<string, { v: MetricValues; sets: Map<string, Set<string>> }>()
  for (const { event } of events) {
    const day = dayOf(event.ts)
    let d = days.get(day)
    if (!d) days.set(day, d = { v: zeroValues(), sets: new Map() })
    for (const m of METRICS) {
      if (m.kind === 'distinct') {
        const value = distinctValue(m, event)
        if (value === undefined) continue
        let set = d.sets.get(m.name)
        if (!set) d.sets.set(m.name, set = new Set())
        set.add(value)
        d.v[m.name] = set.size
      } else {
        d.v[m.name] += contribution(m, event)
      }
    }
  }
  return new Map([...days].map(([k, d]) => [k, d.v]))
}

export class EventsRealtimeView implements RealtimeView {
  readonly name: string
  ready = true
  reason: string | undefined
  /** Buckets before this were dropped: a query for an older W cannot be answered. */
  oldestWatermark = 0
  private readonly byEntity = new Map<string, ArrivedEvent[]>()
  private readonly owned: Set<number>

  constructor(private readonly catalog: Catalog, opts: { name: string; partitions: number[]; now?: () => number }) {
    this.name = opts.name
    this.owned = new Set(opts.partitions)
    this.now = opts.now ?? Date.now
  }

  private readonly now: () => number

  /** Takes the events of the partitions this instance owns. */
  ingest(events: Iterable<ArrivedEvent>): void {
    for (const e of events) {
      if (!this.owned.has(e.partition)) continue
      for (const key of [`song:${e.event.songId}`, `artist:${this.catalog.artistOf(e.event.songId) ?? ''}`]) {
        const list = this.byEntity.get(key)
        if (list) list.push(e)
        else this.byEntity.set(key, [e])
      }
    }
  }

  /** What the speed layer does once every reader moved to a new W: forget arrivals before it. */
  dropBefore(watermark: number): void {
    this.oldestWatermark = Math.max(this.oldestWatermark, watermark)
    for (const [key, list] of this.byEntity) this.byEntity.set(key, list.filter((e) => e.arrivedAt >= this.oldestWatermark))
  }

  async daily(q: RealtimeDailyQuery): Promise<RealtimeDailyAnswer> {
    const base = { watermark: q.watermark, partitions: [...this.owned], days: {} }
    if (!this.ready) return { ...base, ready: false, reason: this.reason ?? 'rebuilding' }
    if (q.watermark < this.oldestWatermark) return { ...base, ready: false, reason: `buckets before ${new Date(this.oldestWatermark).toISOString()} dropped` }
    const list = (this.byEntity.get(`${q.kind}:${q.id}`) ?? []).filter((e) => e.arrivedAt >= q.watermark)
    const days: Record<string, MetricValues> = {}
    for (const [day, v] of aggregate(list)) if (day >= q.from && day <= q.to) days[day] = v
    return { ...base, ready: true, days }
  }

  async trending(q: TrendingQuery): Promise<TrendingAnswer> {
    const since = this.now() - WINDOW_MS[q.window]
    const plays = new Map<string, number>()
    for (const [key, list] of this.byEntity) {
      const [kind, id] = key.split(':') as [EntityKind, string]
      if (kind !== q.kind) continue
      const n = list.filter((e) => e.arrivedAt >= since && e.event.type === 'play').length
      if (n > 0) plays.set(id, n)
    }
    const items = [...plays].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, q.limit).map(([id, n]) => ({ id, plays: n }))
    return { ready: this.ready, partitions: [...this.owned], items }
  }

  async status(): Promise<SpeedStatus> {
    return {
      instance: this.name, ready: this.ready, eventsPerSecond: 0, oldestWatermark: this.oldestWatermark,
      partitions: [...this.owned].map((partition) => ({ partition, ready: this.ready, lag: 0 })),
    }
  }
}
