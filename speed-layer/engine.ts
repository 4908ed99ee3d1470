/**
 * The speed layer's counting engine: everything that reads event bytes and holds counts, and nothing that talks to
 * Kafka. It runs on its own thread (engine-worker.ts) so the consuming thread only decodes Kafka batches and hands
 * their bytes over; tests and tools also run it in-process. Per assigned partition it holds the arrival buckets of
 * counters, the dedup window and the trending slots; songs, artists and listeners are interned once per engine.
 *
 * Hot path, per message: the validation shared with the archiver (shared/fast/validate.ts: one scan of the JSON
 * bytes, the song found by its bytes in the catalog's index), the eventId and userId looked up as bytes, integers
 * added to typed arrays.
 */
import v8 from 'node:v8'
import type { ListenEvent } from '../shared/event.ts'
import { FIELD } from '../shared/fast/event-scan.ts'
import type { KafkaBatchBuffers } from '../shared/fast/batch-packing.ts'
import { MessageValidator, PARSED, SCANNED, type Rejection } from '../shared/fast/validate.ts'
import { dayOfMs } from '../shared/day.ts'
import type { MetricValues } from '../shared/metrics.ts'
import type { EntityKind, TrendingItem, TrendingWindow } from '../shared/realtime.ts'
import { DayAccumulator, TYPE_INDEX, type KindCounters } from './counters.ts'
import { Interner } from '../shared/fast/interner.ts'
import { PartitionCounts, type Outcome } from './partition-counts.ts'
import type { Signal } from '../shared/signals.ts'
import { SignalDetector, type DetectorStats } from './signals/detector.ts'
import type { Rule } from './signals/rules.ts'

export interface EngineSetup {
  /** The catalog as (songId, artistId) pairs: only these songs are counted. */
  songs: ReadonlyArray<readonly [string, string]>
  dedupWindow: number
  bucketMs: number
  /** Interest rules (speed-layer/signals/); none means no detection at all. */
  rules?: readonly Rule[]
  /** Open windows per partition and rule, at most (SIGNAL_MAX_WINDOWS). */
  signalCap?: number
  /** Fault tests: the engine thread exits once it has taken this many messages (as a crash of the thread would). */
  exitAfterMessages?: number
}

/** One Kafka batch of one partition as bytes (shared/fast/batch-packing.ts), and the wall clock that bounds trending. */
export interface EngineBatch extends KafkaBatchBuffers {
  now: number
}

export interface BatchOutcome {
  counted: number
  duplicates: number
  /** Valid, not a duplicate, but not counted: arrived before the held range, or adds to no metric. */
  heldOut: number
  /** Invalid messages: only counted by the speed layer (the archiver owns the DLQ), so their bytes stay behind. */
  rejections: Rejection[]
  /** Interest rules this batch brought to their threshold, in offset order. */
  signals: Signal[]
}

export interface DailyRequest {
  partitions: number[]
  watermark: number
  kind: EntityKind
  id: string
  /** Event days as days since the epoch (UTC), inclusive. */
  fromDay: number
  toDay: number
}

export type DailyRows = Array<[day: number, values: MetricValues]>

export interface TrendingRequest {
  partitions: number[]
  kind: EntityKind
  window: TrendingWindow
  now: number
  limit: number
}

export interface EngineStats {
  songKeys: number
  artistKeys: number
  /** Distinct listener ids interned (compacted when buckets are dropped). */
  listenerIds: number
  /** The engine thread's JS heap and the typed arrays it holds (counters, dedup windows, interned ids). */
  heapBytes: number
  tableBytes: number
  signals: DetectorStats
}

const encoder = new TextEncoder()
/** Interned listener ids beyond twice those still referenced, before they are compacted. */
const COMPACT_SLACK = 100_000

export class SpeedEngine {
  private readonly partitions = new Map<number, PartitionCounts>()
  private readonly detectors = new Map<number, SignalDetector>()
  private readonly songs = new Interner(true)
  private readonly artists = new Interner(true)
  private users = new Interner(false)
  /** Artist id of each song id. */
  private readonly artistOf: Int32Array
  private readonly validator = new MessageValidator(this.songs)

  constructor(private readonly setup: EngineSetup) {
    if (!Number.isSafeInteger(setup.dedupWindow) || setup.dedupWindow < 1)
      throw new RangeError(`dedupWindow must be a positive integer, got ${setup.dedupWindow}`)
    if (!Number.isSafeInteger(setup.bucketMs) || setup.bucketMs < 1)
      throw new RangeError(`bucketMs must be a positive integer, got ${setup.bucketMs}`)
    this.artistOf = new Int32Array(setup.songs.length)
    for (const [songId, artistId] of setup.songs) {
      const song = this.songs.internString(songId)
      this.artistOf[song] = this.artists.internString(artistId)
    }
  }

  /** Starts a partition afresh: counts arrivals from `heldFrom`, earlier ones only fill the dedup window. */
  assign(partition: number, heldFrom: number): void {
    this.partitions.set(partition, new PartitionCounts(heldFrom, this.setup.dedupWindow, this.setup.bucketMs))
    const rules = this.setup.rules ?? []
    if (rules.length > 0) {
      const names = { song: (id: number) => this.songs.stringOf(id), artist: (id: number) => this.artists.stringOf(id) }
      this.detectors.set(partition, new SignalDetector(rules, partition, this.setup.signalCap ?? 200_000, names))
    }
  }

  revoke(partition: number): void {
    this.partitions.delete(partition)
    this.detectors.delete(partition)
  }

  ingest(b: EngineBatch): BatchOutcome {
    const pc = this.partition(b.partition)
    const { values, ends, arrivals, offsets, now } = b
    const valueStarts = b.starts
    const { validator, artistOf, users } = this
    const { starts, ends: fieldEnds, numbers } = validator.fields
    const out: BatchOutcome = { counted: 0, duplicates: 0, heldOut: 0, rejections: [], signals: [] }
    // The hook of the interest rules: after dedup, on every first-seen event (held out or not: a rebuild's warm-up
    // refills the windows). Listener ids are ASCII by the contract, so latin1 reads them without a decoder.
    const detector = this.detectors.get(b.partition)
    const text = detector === undefined ? undefined : Buffer.from(values.buffer, values.byteOffset, values.byteLength)
    for (let k = 0; k < b.count; k++) {
      const arrival = arrivals[k]!
      const verdict = validator.check(values, valueStarts[k]!, ends[k]!, arrival)
      let outcome: Outcome
      if (verdict === SCANNED) {
        const song = validator.song
        const ms = (validator.fields.seen & (1 << FIELD.msPlayed)) !== 0 ? numbers[FIELD.msPlayed]! : 0
        outcome = pc.apply(
          values,
          starts[FIELD.eventId]!,
          fieldEnds[FIELD.eventId]!,
          arrival,
          dayOfMs(numbers[FIELD.ts]!),
          song,
          artistOf[song]!,
          numbers[FIELD.type]!,
          ms,
          values,
          starts[FIELD.userId]!,
          fieldEnds[FIELD.userId]!,
          users,
          now,
        )
        if (detector !== undefined && outcome !== 'duplicate' && detector.wants(numbers[FIELD.type]!)) {
          const listener = text!.toString('latin1', starts[FIELD.userId]!, fieldEnds[FIELD.userId]!)
          detector.observe(
            offsets[k]!,
            numbers[FIELD.ts]!,
            numbers[FIELD.type]!,
            listener,
            song,
            artistOf[song]!,
            out.signals,
          )
        }
      } else if (verdict === PARSED) {
        outcome = this.applyParsed(pc, validator.event!, validator.song, arrival, now)
        if (detector !== undefined && outcome !== 'duplicate')
          this.observeParsed(detector, offsets[k]!, validator.event!, out.signals)
      } else {
        out.rejections.push({ index: k, offset: offsets[k]!, issue: validator.issue! })
        continue
      }
      if (outcome === 'counted') out.counted++
      else if (outcome === 'duplicate') out.duplicates++
      else out.heldOut++
    }
    return out
  }

  /** Counts one decoded event (tests and tools); the song must be in the catalog. Signals it fires go to `signals`. */
  applyEvent(
    partition: number,
    e: ListenEvent,
    arrival: number,
    now: number,
    offset = 0,
    signals: Signal[] = [],
  ): Outcome {
    if (this.songs.internString(e.songId, false) < 0)
      throw new RangeError(`song ${e.songId} is not in the engine's catalog`)
    const outcome = this.applyParsed(
      this.partition(partition),
      e,
      this.songs.internString(e.songId, false),
      arrival,
      now,
    )
    const detector = this.detectors.get(partition)
    if (detector !== undefined && outcome !== 'duplicate') this.observeParsed(detector, offset, e, signals)
    return outcome
  }

  private observeParsed(detector: SignalDetector, offset: number, e: ListenEvent, out: Signal[]): void {
    const song = this.songs.internString(e.songId, false)
    detector.observe(offset, e.ts, TYPE_INDEX.get(e.type)!, e.userId, song, this.artistOf[song]!, out)
  }

  /** Forgets a partition's arrivals before `t` (whole buckets); the number of buckets dropped. */
  dropBefore(partition: number, t: number): number {
    const dropped = this.partitions.get(partition)?.dropBefore(t) ?? 0
    if (dropped > 0) this.compactUsers()
    return dropped
  }

  /**
   * Listener ids are interned once per engine and only referenced from buckets, so dropped buckets leave ids
   * nobody uses. When those are most of the table, the ids still referenced move to a fresh interner: memory for
   * listeners stays proportional to the listeners of the held buckets, not to everyone ever seen.
   */
  private compactUsers(): void {
    let live = 0
    for (const pc of this.partitions.values()) live += pc.members
    if (this.users.size <= 2 * live + COMPACT_SLACK) return
    const old = this.users
    const fresh = new Interner(false)
    const moved = new Int32Array(old.size).fill(-1)
    const newIdOf = (id: number): number => {
      const known = moved[id]!
      return known >= 0 ? known : (moved[id] = fresh.internFrom(old, id))
    }
    for (const pc of this.partitions.values()) pc.remapMembers(newIdOf)
    this.users = fresh
  }

  prune(now: number): void {
    for (const pc of this.partitions.values()) pc.trending.prune(now)
    for (const d of this.detectors.values()) d.prune()
  }

  daily(q: DailyRequest): DailyRows {
    const key = this.interner(q.kind).internString(q.id, false)
    if (key < 0) return []
    const byDay = new Map<number, DayAccumulator>()
    for (const p of q.partitions) {
      for (const bucket of this.partition(p).bucketsFrom(q.watermark)) {
        const counters = bucket[q.kind]
        const from = Math.max(q.fromDay, counters.minDay)
        const to = Math.min(q.toDay, counters.maxDay)
        if (to - from < counters.size) {
          for (let day = from; day <= to; day++) {
            const row = counters.row(day, key)
            if (row >= 0) accumulate(byDay, day, counters, row)
          }
        } else {
          for (let row = 0; row < counters.size; row++) {
            const day = counters.dayOf(row)
            if (counters.cells.keyB[row] === key && day >= q.fromDay && day <= q.toDay)
              accumulate(byDay, day, counters, row)
          }
        }
      }
      for (const acc of byDay.values()) acc.endPartition()
    }
    return [...byDay.keys()].sort((a, b) => a - b).map((day) => [day, byDay.get(day)!.values()])
  }

  trending(q: TrendingRequest): TrendingItem[] {
    const totals = new Map<number, number>()
    for (const p of q.partitions) this.partition(p).trending.sumInto(totals, q.kind, q.window, q.now)
    const names = this.interner(q.kind)
    return [...totals]
      .map(([id, plays]) => ({ id: names.stringOf(id), plays }))
      .sort((a, b) => b.plays - a.plays || (a.id < b.id ? -1 : 1))
      .slice(0, Math.max(0, q.limit))
  }

  stats(): EngineStats {
    let songKeys = 0
    let artistKeys = 0
    let tableBytes = this.songs.bytes + this.artists.bytes + this.users.bytes
    for (const pc of this.partitions.values()) {
      songKeys += pc.keys('song')
      artistKeys += pc.keys('artist')
      tableBytes += pc.bytes
    }
    const signals: DetectorStats = { windows: 0, tooLate: 0, evicted: 0 }
    for (const d of this.detectors.values()) {
      const s = d.stats()
      signals.windows += s.windows
      signals.tooLate += s.tooLate
      signals.evicted += s.evicted
    }
    return {
      songKeys,
      artistKeys,
      listenerIds: this.users.size,
      heapBytes: v8.getHeapStatistics().used_heap_size,
      tableBytes,
      signals,
    }
  }

  private applyParsed(pc: PartitionCounts, e: ListenEvent, song: number, arrival: number, now: number): Outcome {
    const id = encoder.encode(e.eventId)
    const user = encoder.encode(e.userId)
    return pc.apply(
      id,
      0,
      id.length,
      arrival,
      dayOfMs(e.ts),
      song,
      this.artistOf[song]!,
      TYPE_INDEX.get(e.type)!,
      e.msPlayed ?? 0,
      user,
      0,
      user.length,
      this.users,
      now,
    )
  }

  private partition(p: number): PartitionCounts {
    const pc = this.partitions.get(p)
    if (pc === undefined) throw new RangeError(`partition ${p} is not assigned to this engine`)
    return pc
  }

  private interner(kind: EntityKind): Interner {
    return kind === 'song' ? this.songs : this.artists
  }
}

/** Adds a row to its day's accumulator (a function, not a closure per bucket: report queries run this per request). */
function accumulate(byDay: Map<number, DayAccumulator>, day: number, counters: KindCounters, row: number): void {
  let acc = byDay.get(day)
  if (acc === undefined) {
    acc = new DayAccumulator()
    byDay.set(day, acc)
  }
  acc.addRow(counters, row)
}
