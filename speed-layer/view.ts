/**
 * The realtime view over this instance's partitions (shared/realtime.ts): counts of arrivals at or after the
 * asked watermark, from the partitions that are rebuilt and still hold that watermark's buckets.
 */
import { Errors } from '../shared/errors.ts'
import { dimensionByName } from '../shared/dimensions.ts'
import type {
  RealtimeBreakdownAnswer,
  RealtimeBreakdownQuery,
  RealtimeDailyAnswer,
  RealtimeDayAnswer,
  RealtimeDayQuery,
  RealtimeDailyQuery,
  RealtimeView,
  SpeedStatus,
  TrendingAnswer,
  TrendingItem,
  TrendingQuery,
} from '../shared/realtime.ts'
import type { MetricValues } from '../shared/metrics.ts'
import type { DailyRows } from './daily-query.ts'
import type { EngineClient } from './engine-client.ts'
import type { PartitionState } from './partition-state.ts'

export interface ViewSource {
  instance: string
  states: ReadonlyMap<number, PartitionState>
  /** The current engine (a new one replaces a failed one). */
  engine(): EngineClient
  /** False while the group rebalances or the assigned partitions are not sought yet. */
  joined(): boolean
  holdFrom(): number
  eventsPerSecond(): number
  /** Arrival bucket width: a watermark inside a bucket cannot be answered exactly. */
  bucketMs: number
}

/** A failed engine call: the engine thread died and is being replaced (index.ts); answered as not ready. */
function engineGone(err: unknown): string {
  return `the counting engine is restarting: ${(err as Error).message}`
}

/** Event days (inclusive) and the watermark of a count query. */
type Range = Pick<RealtimeDailyQuery, 'from' | 'to' | 'watermark'>

/** What every count answer carries besides its rows (shared/realtime.ts). */
interface Envelope {
  ready: boolean
  reason?: string
  watermark: number
  partitions: number[]
}

/**
 * A count answer: the envelope with the rows added under their field. The envelope object itself, not a copy (a
 * report's hot path).
 */
function withDays(envelope: Envelope, rows: DailyRows): Envelope & { days: ReadonlyMap<number, MetricValues> } {
  const answer = envelope as Envelope & { days: ReadonlyMap<number, MetricValues> }
  answer.days = new Map(rows)
  return answer
}

function withRows<R>(envelope: Envelope, rows: R[]): Envelope & { rows: R[] } {
  const answer = envelope as Envelope & { rows: R[] }
  answer.rows = rows
  return answer
}

function sorted(states: Iterable<PartitionState>): PartitionState[] {
  return [...states].sort((a, b) => a.partition - b.partition)
}

export class LocalRealtimeView implements RealtimeView {
  constructor(private readonly src: ViewSource) {}

  async daily(q: RealtimeDailyQuery): Promise<RealtimeDailyAnswer> {
    return this.counted(
      q,
      (partitions) =>
        this.src.engine().daily({
          partitions,
          watermark: q.watermark,
          kind: q.kind,
          id: q.id,
          fromDay: q.from,
          toDay: q.to,
        }),
      withDays,
    )
  }

  async breakdown(q: RealtimeBreakdownQuery): Promise<RealtimeBreakdownAnswer> {
    if (dimensionByName(q.dimension) === undefined)
      throw new Errors.BAD_REQUEST(`dimension ${q.dimension} is not one of the dimensions`)
    return this.counted(
      q,
      (partitions) =>
        this.src.engine().breakdown({
          partitions,
          watermark: q.watermark,
          kind: q.kind,
          id: q.id,
          dimension: q.dimension,
          fromDay: q.from,
          toDay: q.to,
        }),
      withRows,
    )
  }

  async dayAll(q: RealtimeDayQuery): Promise<RealtimeDayAnswer> {
    if (q.where !== undefined && dimensionByName(q.where.dimension) === undefined)
      throw new Errors.BAD_REQUEST(`dimension ${q.where.dimension} is not one of the dimensions`)
    const range = { from: q.day, to: q.day, watermark: q.watermark }
    return this.counted(
      range,
      (partitions) =>
        this.src.engine().dayAll({
          partitions,
          watermark: q.watermark,
          kind: q.kind,
          day: q.day,
          ...(q.where === undefined ? {} : { where: q.where }),
        }),
      withRows,
    )
  }

  /**
   * The answer every count query shares: the engine asked for the partitions that can answer for the watermark
   * (`coverage`), not ready naming why any other cannot, or not ready with no rows when the engine call failed;
   * `answer` adds the rows to the envelope.
   */
  private async counted<R, A extends Envelope>(
    range: Range,
    ask: (partitions: number[]) => Promise<R[]>,
    answer: (envelope: Envelope, rows: R[]) => A,
  ): Promise<A> {
    const envelope = this.envelope(range)
    let rows: R[] = []
    try {
      if (envelope.partitions.length > 0) rows = await ask(envelope.partitions)
    } catch (err) {
      return answer({ ready: false, reason: engineGone(err), watermark: range.watermark, partitions: [] }, [])
    }
    return answer(envelope, rows)
  }

  /** The envelope of a count answer: the partitions that can answer for the watermark, and why others cannot. */
  private envelope(range: Range): Envelope {
    const { reasons, covered } = this.coverage(range)
    const answer: Envelope = {
      ready: reasons.length === 0,
      watermark: range.watermark,
      partitions: covered.map((st) => st.partition),
    }
    if (reasons.length > 0) answer.reason = reasons.join('; ')
    return answer
  }

  /** Which partitions can answer for the watermark asked, and why the others cannot. */
  private coverage(q: Range): { reasons: string[]; covered: PartitionState[] } {
    const { from, to } = q
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to))
      throw new Errors.BAD_REQUEST(`from and to must be day numbers, got ${from}, ${to}`)
    if (!Number.isSafeInteger(q.watermark) || q.watermark < 0 || q.watermark % this.src.bucketMs !== 0) {
      throw new Errors.BAD_REQUEST(`watermark must be an arrival-hour boundary in epoch ms, got ${q.watermark}`)
    }
    const reasons: string[] = []
    if (!this.src.joined()) reasons.push('joining the consumer group')
    const covered: PartitionState[] = []
    const rebuilding: number[] = []
    const dropped: number[] = []
    for (const st of sorted(this.src.states.values())) {
      if (!st.ready) rebuilding.push(st.partition)
      else if (q.watermark < st.heldFrom) dropped.push(st.partition)
      else covered.push(st)
    }
    if (rebuilding.length > 0) reasons.push(`partitions ${rebuilding.join(',')} are rebuilding from the log`)
    if (dropped.length > 0)
      reasons.push(`watermark ${q.watermark} is older than the buckets held for partitions ${dropped.join(',')}`)
    return { reasons, covered }
  }

  async trending(q: TrendingQuery): Promise<TrendingAnswer> {
    const covered: number[] = []
    let ready = this.src.joined()
    for (const st of sorted(this.src.states.values())) {
      if (!st.ready) ready = false
      else covered.push(st.partition)
    }
    let items: TrendingItem[] = []
    try {
      if (covered.length > 0)
        items = await this.src
          .engine()
          .trending({ partitions: covered, kind: q.kind, window: q.window, now: Date.now(), limit: q.limit })
    } catch {
      // The engine thread died and is being replaced: not ready (TrendingAnswer carries no reason).
      return { ready: false, partitions: [], items: [] }
    }
    return { ready, partitions: covered, items }
  }

  async status(): Promise<SpeedStatus> {
    const partitions = sorted(this.src.states.values()).map((s) => ({
      partition: s.partition,
      ready: s.ready,
      lag: s.lag,
    }))
    let oldest = this.src.holdFrom()
    for (const st of this.src.states.values()) oldest = Math.min(oldest, st.heldFrom)
    return {
      instance: this.src.instance,
      ready: this.src.joined() && partitions.every((p) => p.ready),
      partitions,
      eventsPerSecond: this.src.eventsPerSecond(),
      oldestWatermark: oldest,
    }
  }
}
