/**
 * Everything one speed instance holds for one assigned partition, so a revoked partition is dropped whole:
 * arrival buckets of counters, the dedup window, the trending slots, and the rebuild progress.
 */
import type { ListenEvent } from '../shared/event.ts'
import { DAY_MS } from '../shared/layout.ts'
import type { EntityKind } from '../shared/realtime.ts'
import { Contribution, cellOf, countKeys, type DayCounters } from './counters.ts'
import { Dedup } from './dedup.ts'
import { Trending } from './trending.ts'

/** Trending ranks by this additive metric. */
export const TRENDING_METRIC = 'plays'
const TRENDING_INDEX = Contribution.additiveIndex(TRENDING_METRIC)

export class Bucket {
  readonly song: DayCounters = new Map()
  readonly artist: DayCounters = new Map()
  constructor(readonly start: number) {}
}

export interface PartitionStart {
  partition: number
  /** Arrival time from which this state counts every event (a watermark); earlier arrivals only fill the dedup. */
  heldFrom: number
  /** First offset read (at heldFrom minus the dedup warm-up). */
  startOffset: number
  /** The log end offset seen at assignment: the partition is ready once it read up to here. */
  endOffset: number
  dedupWindow: number
  bucketMs: number
}

export class PartitionState {
  readonly partition: number
  heldFrom: number
  nextOffset: number
  readonly endAtAssignment: number
  highWatermark: number
  ready: boolean
  readonly assignedAt = Date.now()
  rebuildMs: number | undefined
  counted = 0
  duplicates = 0
  readonly trending = new Trending()
  private readonly dedup: Dedup
  private readonly bucketMs: number
  private readonly buckets = new Map<number, Bucket>()
  private current: Bucket | undefined

  constructor(s: PartitionStart) {
    this.partition = s.partition
    this.heldFrom = s.heldFrom
    this.nextOffset = s.startOffset
    this.endAtAssignment = s.endOffset
    this.highWatermark = s.endOffset
    this.dedup = new Dedup(s.dedupWindow)
    this.bucketMs = s.bucketMs
    this.ready = false
    this.progress(s.startOffset)
  }

  /** Counts one valid event; false when it was a duplicate or arrived before the held range. */
  apply(e: ListenEvent, arrival: number, songId: string, artistId: string, c: Contribution, now: number): boolean {
    if (!this.dedup.add(e.eventId)) {
      this.duplicates++
      return false
    }
    if (arrival < this.heldFrom || !c.load(e)) return false
    const bucket = this.bucketFor(arrival)
    const day = Math.floor(e.ts / DAY_MS)
    cellOf(bucket.song, day, songId).apply(c)
    cellOf(bucket.artist, day, artistId).apply(c)
    const plays = c.add[TRENDING_INDEX]!
    if (plays !== 0) this.trending.add(arrival, now, songId, artistId, plays)
    this.counted++
    return true
  }

  /** Records that every offset below `nextOffset` was read; the partition turns ready at the end seen at assignment. */
  progress(nextOffset: number): void {
    if (nextOffset > this.nextOffset) this.nextOffset = nextOffset
    if (this.nextOffset > this.highWatermark) this.highWatermark = this.nextOffset
    if (!this.ready && this.nextOffset >= this.endAtAssignment) {
      this.ready = true
      this.rebuildMs = Date.now() - this.assignedAt
    }
  }

  get lag(): number {
    return Math.max(0, this.highWatermark - this.nextOffset)
  }

  /** Buckets whose arrivals are all at or after `watermark` (bucket starts are aligned, and W is an hour boundary). */
  *bucketsFrom(watermark: number): Iterable<Bucket> {
    for (const b of this.buckets.values()) if (b.start >= watermark) yield b
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
    this.heldFrom = t
    return dropped
  }

  keys(kind: EntityKind): number {
    let n = 0
    for (const b of this.buckets.values()) n += countKeys(b[kind])
    return n
  }

  get bucketCount(): number {
    return this.buckets.size
  }

  private bucketFor(arrival: number): Bucket {
    const start = arrival - (arrival % this.bucketMs)
    const cur = this.current
    if (cur !== undefined && cur.start === start) return cur
    let b = this.buckets.get(start)
    if (b === undefined) {
      b = new Bucket(start)
      this.buckets.set(start, b)
    }
    this.current = b
    return b
  }
}
