/**
 * Trending windows of one partition by ARRIVAL time: plays per song and per artist in minute slots (for 5m and
 * 1h) and hour slots (for 24h), by interned song and artist id. A window is the slots that end after now - window, so it is exact to the slot
 * width at its old edge (up to one minute for 5m and 1h, one hour for 24h) and exact at its new edge.
 */
import type { EntityKind, TrendingWindow } from '../shared/realtime.ts'
import { HOUR_MS } from '../shared/layout.ts'
import { PairIndex, ensureFloat } from '../shared/fast/pair-index.ts'

const MINUTE_MS = 60_000
const WINDOW_MS: Record<TrendingWindow, number> = { '5m': 5 * MINUTE_MS, '1h': HOUR_MS, '24h': 24 * HOUR_MS }

/** Plays per interned id in one slot: a PairIndex row per id and a column of counts. */
class IdCounts {
  private readonly ids = new PairIndex()
  private counts = new Float64Array(32)

  bump(id: number, n: number): void {
    const row = this.ids.findOrAdd(id, 0)
    this.counts = ensureFloat(this.counts, this.ids.capacity)
    this.counts[row]! += n
  }

  sumInto(out: Map<number, number>): void {
    const { ids, counts } = this
    for (let row = 0; row < ids.size; row++) {
      const id = ids.keyA[row]!
      out.set(id, (out.get(id) ?? 0) + counts[row]!)
    }
  }
}

class Slot {
  readonly song = new IdCounts()
  readonly artist = new IdCounts()
}

class Slots {
  private readonly slots = new Map<number, Slot>()
  private lastIndex = -1
  private last: Slot | undefined

  constructor(
    private readonly widthMs: number,
    private readonly keepMs: number,
  ) {}

  add(arrival: number, song: number, artist: number, n: number): void {
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
    slot.song.bump(song, n)
    slot.artist.bump(artist, n)
  }

  sumInto(out: Map<number, number>, kind: EntityKind, now: number, windowMs: number): void {
    const first = Math.floor((now - windowMs) / this.widthMs) + 1
    for (const [index, slot] of this.slots) if (index >= first) slot[kind].sumInto(out)
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
  add(arrival: number, now: number, song: number, artist: number, n: number): void {
    if (arrival < now - WINDOW_MS['24h'] - HOUR_MS) return
    this.hours.add(arrival, song, artist, n)
    if (arrival >= now - HOUR_MS - MINUTE_MS) this.minutes.add(arrival, song, artist, n)
  }

  /** Plays per interned id over the window. */
  sumInto(out: Map<number, number>, kind: EntityKind, window: TrendingWindow, now: number): void {
    const slots = window === '24h' ? this.hours : this.minutes
    slots.sumInto(out, kind, now, WINDOW_MS[window])
  }

  prune(now: number): void {
    this.minutes.prune(now)
    this.hours.prune(now)
  }
}
