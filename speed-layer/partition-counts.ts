/**
 * What the engine holds for one assigned partition, so a revoked partition is dropped whole: arrival buckets of
 * counters, the dedup window and the trending slots. Keys are interned integers (engine.ts).
 */
import type { EntityKind } from '../shared/realtime.ts'
import { KindCounters, TYPE_PLANS, additiveIndex, contributes } from './counters.ts'
import { Dedup } from '../shared/fast/dedup-table.ts'
import { EventLog } from './event-log.ts'
import { Trending } from './trending.ts'

/** Trending ranks by this additive metric. */
export const TRENDING_METRIC = 'plays'
const TRENDING_INDEX = additiveIndex(TRENDING_METRIC)

export type Outcome = 'counted' | 'duplicate' | 'held_out'

export class Bucket {
  readonly song = new KindCounters()
  readonly artist = new KindCounters()
  /** Breakdown records of the counted events, chained per song and artist cell (event-log.ts). */
  readonly log = new EventLog()
  constructor(readonly start: number) {}
}

export class PartitionCounts {
  readonly trending = new Trending()
  private readonly dedup: Dedup
  private readonly buckets = new Map<number, Bucket>()
  /** The buckets' values in the Map's order: what queries walk (an array, not a generator per query). */
  private list: Bucket[] = []
  private current: Bucket | undefined

  constructor(
    private heldFrom: number,
    dedupWindow: number,
    private readonly bucketMs: number,
  ) {
    this.dedup = new Dedup(dedupWindow)
  }

  /**
   * One valid event: its eventId at `ids[idStart, idEnd)`, its event day, interned song and artist, type index,
   * msPlayed, interned listener (-1 when no metric takes it) and, with breakdowns on, its packed event dimensions
   * (event-log.ts; -1 with breakdowns off).
   */
  apply(
    ids: Uint8Array,
    idStart: number,
    idEnd: number,
    arrival: number,
    day: number,
    song: number,
    artist: number,
    type: number,
    ms: number,
    user: number,
    dims: number,
    now: number,
  ): Outcome {
    if (!this.dedup.addBytes(ids, idStart, idEnd)) return 'duplicate'
    const plan = TYPE_PLANS[type]!
    if (arrival < this.heldFrom || !contributes(plan, ms)) return 'held_out'
    const bucket = this.bucketFor(arrival)
    const songRow = bucket.song.apply(day, song, plan, ms, user)
    const artistRow = bucket.artist.apply(day, artist, plan, ms, user)
    if (dims >= 0) bucket.log.append(songRow, artistRow, user, dims, type, ms)
    const plays = plan.base[TRENDING_INDEX]! + plan.slope[TRENDING_INDEX]! * ms
    if (plays !== 0) this.trending.add(arrival, now, song, artist, plays)
    return 'counted'
  }

  /**
   * Buckets whose arrivals are all at or after `watermark` (bucket starts are aligned, and W is an hour boundary): the
   * held list itself when every bucket is (a report's hot path), else a filtered copy.
   */
  bucketsFrom(watermark: number): readonly Bucket[] {
    const list = this.list
    for (const b of list) if (b.start < watermark) return list.filter((x) => x.start >= watermark)
    return list
  }

  /** Forgets arrivals before `t`: only called once no reader can ask for a watermark before `t`. */
  dropBefore(t: number): number {
    if (t <= this.heldFrom) return 0
    let dropped = 0
    for (const [start, b] of this.buckets) {
      if (start + this.bucketMs <= t) {
        this.buckets.delete(start)
        if (b === this.current) this.current = undefined
        dropped++
      }
    }
    if (dropped > 0) this.list = [...this.buckets.values()]
    this.heldFrom = t
    return dropped
  }

  /** Listener ids referenced by the buckets held (counted once per cell they appear in). */
  get members(): number {
    let n = 0
    for (const b of this.buckets.values()) n += b.song.memberCount + b.artist.memberCount + b.log.size
    return n
  }

  remapMembers(newIdOf: (old: number) => number): void {
    for (const b of this.buckets.values()) {
      b.song.remapMembers(newIdOf)
      b.artist.remapMembers(newIdOf)
      b.log.remapUsers(newIdOf)
    }
  }

  keys(kind: EntityKind): number {
    let n = 0
    for (const b of this.buckets.values()) n += b[kind].size
    return n
  }

  /** Breakdown records held (one per counted event with breakdowns on). */
  get records(): number {
    let n = 0
    for (const b of this.buckets.values()) n += b.log.size
    return n
  }

  get bytes(): number {
    let n = this.dedup.bytes
    for (const b of this.buckets.values()) n += b.song.bytes + b.artist.bytes + b.log.bytes
    return n
  }

  private bucketFor(arrival: number): Bucket {
    const start = arrival - (arrival % this.bucketMs)
    const cur = this.current
    if (cur !== undefined && cur.start === start) return cur
    let b = this.buckets.get(start)
    if (b === undefined) {
      b = new Bucket(start)
      this.buckets.set(start, b)
      this.list.push(b)
    }
    this.current = b
    return b
  }
}
