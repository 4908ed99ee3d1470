/**
 * Trending windows of one partition by ARRIVAL time: plays per song and per artist in minute slots (for 5m and
 * 1h) and hour slots (for 24h). A window is the slots that end after now - window, so it is exact to the slot
 * width at its old edge (up to one minute for 5m and 1h, one hour for 24h) and exact at its new edge.
 */
import type { EntityKind, TrendingWindow } from '../shared/realtime.ts'
import { HOUR_MS } from '../shared/layout.ts'

const MINUTE_MS = 60_000
const WINDOW_MS: Record<TrendingWindow, number> = { '5m': 5 * MINUTE_MS, '1h': HOUR_MS, '24h': 24 * HOUR_MS }

/** Boxed so that counting is one hash lookup per key instead of get + set. */
interface Box { n: number }

function bump(m: Map<string, Box>, id: string, n: number): void {
  const box = m.get(id)
  if (box === undefined) m.set(id, { n })
  else box.n += n
}

class Slot {
  readonly song = new Map<string, Box>()
  readonly artist = new Map<string, Box>()
}

class Slots {
  private readonly slots = new Map<number, Slot>()
  private lastIndex = -1
  private last: Slot | undefined

  constructor(private readonly widthMs: number, private readonly keepMs: number) {}

  add(arrival: number, songId: string, artistId: string, n: number): void {
    const index = Math.floor(arrival / this.widthMs)
    let slot = this.last
    if (index !== this.lastIndex || slot === undefined) {
      slot = this.slots.get(index)
      if (slot === undefined) {
        slot = new Slot()
        this.slots.set(index, slot)
      }
      this.last = slot
      this.lastIndex = index
    }
    bump(slot.song, songId, n)
    bump(slot.artist, artistId, n)
  }

  sumInto(out: Map<string, number>, kind: EntityKind, now: number, windowMs: number): void {
    const first = Math.floor((now - windowMs) / this.widthMs) + 1
    for (const [index, slot] of this.slots) {
      if (index < first) continue
      for (const [id, box] of slot[kind]) out.set(id, (out.get(id) ?? 0) + box.n)
    }
  }

  prune(now: number): void {
    const first = Math.floor((now - this.keepMs) / this.widthMs)
    for (const index of this.slots.keys()) {
      if (index < first) {
        this.slots.delete(index)
        if (index === this.lastIndex) this.last = undefined
      }
    }
  }
}

export class Trending {
  private readonly minutes = new Slots(MINUTE_MS, HOUR_MS + MINUTE_MS)
  private readonly hours = new Slots(HOUR_MS, 25 * HOUR_MS)

  /** `now` bounds what is worth keeping: replayed arrivals older than the longest window are skipped. */
  add(arrival: number, now: number, songId: string, artistId: string, n: number): void {
    if (arrival < now - WINDOW_MS['24h'] - HOUR_MS) return
    this.hours.add(arrival, songId, artistId, n)
    if (arrival >= now - HOUR_MS - MINUTE_MS) this.minutes.add(arrival, songId, artistId, n)
  }

  sumInto(out: Map<string, number>, kind: EntityKind, window: TrendingWindow, now: number): void {
    const slots = window === '24h' ? this.hours : this.minutes
    slots.sumInto(out, kind, now, WINDOW_MS[window])
  }

  prune(now: number): void {
    this.minutes.prune(now)
    this.hours.prune(now)
  }
}
