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
import { DAY_MS, dayOfMs } from '../shared/day.ts'
import { HOUR_MS } from '../shared/layout.ts'
import type { MetricValues } from '../shared/metrics.ts'
import type { EntityKind, TrendingItem, TrendingWindow } from '../shared/realtime.ts'
import { TYPE_INDEX, TYPE_PLANS } from './counters.ts'
import { dayAllRows } from './day-all-query.ts'
import { Interner } from '../shared/fast/interner.ts'
import { PartitionCounts, type Outcome } from './partition-counts.ts'
import type { Signal } from '../shared/signals.ts'
import { SignalDetector, type DetectorStats } from './signals/detector.ts'
import type { Rule } from './signals/rules.ts'
import type { ListenerProfile } from '../shared/catalog/listeners.ts'
import { ProfileTable, SlotWriter, countryCode, deviceCode } from './breakdown.ts'
import { packEventDims } from './event-log.ts'
import { breakdownRows, dayRowsWhere, type BreakdownRequest, type BreakdownRows } from './breakdown-query.ts'
import { dailyRows, type DailyRequest, type DailyRows } from './daily-query.ts'

export type { DailyRequest, DailyRows }

export interface EngineSetup {
  /** The catalog as (songId, artistId) pairs: only these songs are counted. */
  songs: ReadonlyArray<readonly [string, string]>
  dedupWindow: number
  bucketMs: number
  /** Interest rules (speed-layer/signals/); none means no detection at all. */
  rules?: readonly Rule[]
  /** Open windows per partition and rule, at most (SIGNAL_MAX_WINDOWS). */
  signalCap?: number
  /** Listener profiles, for the profile dimensions (shared/dimensions.ts); listeners without one are `unknown`. */
  profiles?: readonly ListenerProfile[]
  /** Keep breakdown records (speed-layer/README.md, "Breakdown records"); default true. */
  breakdowns?: boolean
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

export interface DayAllRequest {
  partitions: number[]
  watermark: number
  kind: EntityKind
  day: number
  /** Only the events with this value of this dimension (breakdown-query.ts `dayRowsWhere`). */
  where?: { dimension: string; value: string }
}
export type DayAllRows = Array<[id: string, values: MetricValues]>

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
  /** Breakdown records held (one per counted event, with breakdowns on). */
  breakdownRecords: number
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
  private readonly profileIds: readonly string[]
  private readonly slotWriter: SlotWriter
  private readonly breakdowns: boolean

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
    const profiles = setup.profiles ?? []
    this.profileIds = profiles.map((p) => p.userId)
    this.seedUsers(this.users)
    this.slotWriter = new SlotWriter(new ProfileTable(profiles))
    this.breakdowns = setup.breakdowns !== false
  }

  /** Interns the profiles' userIds first, so a listener's interned id is its profile row (breakdown.ts). */
  private seedUsers(users: Interner): void {
    this.profileIds.forEach((id, row) => {
      if (users.internString(id) !== row) throw new RangeError(`listener profile ${id} appears twice`)
    })
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
    const { validator, artistOf, users, breakdowns } = this
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
        const seen = validator.fields.seen
        const ms = (seen & (1 << FIELD.msPlayed)) !== 0 ? numbers[FIELD.msPlayed]! : 0
        const type = numbers[FIELD.type]!
        const ts = numbers[FIELD.ts]!
        const day = dayOfMs(ts)
        const user =
          breakdowns || TYPE_PLANS[type]!.anyDistinct
            ? users.intern(values, starts[FIELD.userId]!, fieldEnds[FIELD.userId]!)
            : -1
        const dims = breakdowns
          ? packEventDims(
              (seen & (1 << FIELD.country)) !== 0 ? numbers[FIELD.country]! : -1,
              (seen & (1 << FIELD.device)) !== 0 ? numbers[FIELD.device]! : -1,
              Math.floor((ts - day * DAY_MS) / HOUR_MS),
            )
          : -1
        outcome = pc.apply(
          values,
          starts[FIELD.eventId]!,
          fieldEnds[FIELD.eventId]!,
          arrival,
          day,
          song,
          artistOf[song]!,
          type,
          ms,
          user,
          dims,
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
    if (this.users.size <= this.profileIds.length + 2 * live + COMPACT_SLACK) return
    const old = this.users
    const fresh = new Interner(false)
    this.seedUsers(fresh)
    const moved = new Int32Array(old.size).fill(-1)
    for (let row = 0; row < this.profileIds.length; row++) moved[row] = row
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

  /** Every song's (or artist's) metrics of one event day, arrivals at or after the watermark (the daily charts). */
  dayAll(q: DayAllRequest): DayAllRows {
    const names = this.interner(q.kind)
    if (q.where !== undefined) {
      const { kind, day, watermark, where } = q
      const rows = dayRowsWhere(
        { kind, day, watermark, ...where },
        q.partitions.map((p) => this.partition(p)),
        this.slotWriter,
      )
      return rows.map(([key, values]) => [names.stringOf(key), values])
    }
    const rows = dayAllRows(
      q,
      q.partitions.map((p) => this.partition(p)),
    )
    return rows.map(([key, values]) => [names.stringOf(key), values])
  }

  daily(q: DailyRequest): DailyRows {
    const key = this.interner(q.kind).internString(q.id, false)
    if (key < 0) return []
    return dailyRows(
      q,
      key,
      q.partitions.map((p) => this.partition(p)),
    )
  }

  /** Per (day, value) of one dimension, the metrics of one song or artist (breakdown-query.ts). */
  breakdown(q: BreakdownRequest): BreakdownRows {
    const key = this.interner(q.kind).internString(q.id, false)
    if (key < 0) return []
    return breakdownRows(
      q,
      key,
      q.partitions.map((p) => this.partition(p)),
      this.slotWriter,
    )
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
    let breakdownRecords = 0
    let tableBytes = this.songs.bytes + this.artists.bytes + this.users.bytes
    for (const pc of this.partitions.values()) {
      songKeys += pc.keys('song')
      artistKeys += pc.keys('artist')
      breakdownRecords += pc.records
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
      breakdownRecords,
      listenerIds: this.users.size,
      heapBytes: v8.getHeapStatistics().used_heap_size,
      tableBytes,
      signals,
    }
  }

  private applyParsed(pc: PartitionCounts, e: ListenEvent, song: number, arrival: number, now: number): Outcome {
    const id = encoder.encode(e.eventId)
    const type = TYPE_INDEX.get(e.type)!
    const day = dayOfMs(e.ts)
    const user = this.breakdowns || TYPE_PLANS[type]!.anyDistinct ? this.users.internString(e.userId) : -1
    const dims = this.breakdowns
      ? packEventDims(countryCode(e.country), deviceCode(e.device), Math.floor((e.ts - day * DAY_MS) / HOUR_MS))
      : -1
    return pc.apply(id, 0, id.length, arrival, day, song, this.artistOf[song]!, type, e.msPlayed ?? 0, user, dims, now)
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
