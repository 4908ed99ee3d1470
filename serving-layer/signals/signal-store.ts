/**
 * The last signals the serving layer has read from `<topic>.signals`, bounded: at most `capacity` (the oldest read
 * are dropped first), deduplicated by id (a signal delivered twice is held once), newest event time first on query.
 */
import type { Signal } from '../../shared/signals.ts'

export interface SignalQuery {
  rule?: string
  listener?: string
  since?: number
  limit: number
}

/** Signals held by default: ~400 bytes each, so ~4 MB. */
export const SIGNALS_HELD = 10_000

export class SignalStore {
  private readonly byId = new Map<string, Signal>()
  /** Signals read in the last minute, for the dashboard's rate (arrival times in ms, oldest first). */
  private readonly recent: number[] = []
  duplicates = 0

  constructor(
    readonly capacity = SIGNALS_HELD,
    private readonly now: () => number = Date.now,
  ) {}

  add(s: Signal): void {
    if (this.byId.has(s.id)) {
      this.duplicates++
      return
    }
    this.byId.set(s.id, s)
    const t = this.now()
    this.recent.push(t)
    while (this.recent.length > 0 && this.recent[0]! < t - 60_000) this.recent.shift()
    if (this.byId.size > this.capacity) this.byId.delete(this.byId.keys().next().value!)
  }

  get size(): number {
    return this.byId.size
  }

  /** Signals read per minute, over the last minute. */
  perMinute(): number {
    const t = this.now()
    while (this.recent.length > 0 && this.recent[0]! < t - 60_000) this.recent.shift()
    return this.recent.length
  }

  query(q: SignalQuery): Signal[] {
    const out: Signal[] = []
    for (const s of this.byId.values()) {
      if (q.rule !== undefined && s.rule !== q.rule) continue
      if (q.listener !== undefined && s.listener !== q.listener) continue
      if (q.since !== undefined && s.lastTs < q.since) continue
      out.push(s)
    }
    out.sort((a, b) => b.lastTs - a.lastTs || (a.id < b.id ? -1 : 1))
    return out.slice(0, q.limit)
  }
}
