/**
 * Answers the daily query of one song or artist (engine.ts `daily`): per event day of the range, its cells in the
 * arrival buckets at or after the watermark, summed. Additive metrics add; distinct ones are unioned within a
 * partition (a listener can play in several hours) and their sizes added across partitions (the Kafka key is the
 * userId, so partitions never share a listener).
 *
 * A report's hot path: the matching cells are gathered into columns reused by every query (a query runs to
 * completion) and ordered by day, so a query allocates its answer and nothing else.
 */
import { ADDITIVE_METRICS, type MetricValues } from '../shared/metrics.ts'
import type { EntityKind } from '../shared/realtime.ts'
import { DISTINCT_METRICS, distinctOver, type KindCounters } from './counters.ts'
import type { PartitionCounts } from './partition-counts.ts'

export interface DailyRequest {
  partitions: number[]
  watermark: number
  kind: EntityKind
  id: string
  /** Event days as days since the epoch (UTC), inclusive. */
  fromDay: number
  toDay: number
}

/** Days with data only, in order. */
export type DailyRows = Array<[day: number, values: MetricValues]>

const N_ADDITIVE = ADDITIVE_METRICS.length
const N_DISTINCT = DISTINCT_METRICS.length

/** The cells of the current query: cell i is row `rows[i]` of `counters[i]`, on `days[i]`, in partition `parts[i]`. */
const cells = { n: 0, days: [0], parts: [0], counters: [] as KindCounters[], rows: [0], order: [0] }

function add(day: number, part: number, counters: KindCounters, row: number): void {
  const i = cells.n++
  cells.days[i] = day
  cells.parts[i] = part
  cells.counters[i] = counters
  cells.rows[i] = row
}

/** The cells of `key` in one bucket's counters on the days from..to. */
function gather(counters: KindCounters, part: number, key: number, from: number, to: number): void {
  const lo = Math.max(from, counters.minDay)
  const hi = Math.min(to, counters.maxDay)
  if (hi - lo < counters.size) {
    // A bucket holds a few event days (its hour's and the late ones'): look each up.
    for (let day = lo; day <= hi; day++) {
      const row = counters.row(day, key)
      if (row >= 0) add(day, part, counters, row)
    }
    return
  }
  for (let row = 0; row < counters.size; row++) {
    const day = counters.dayOf(row)
    if (counters.cells.keyB[row] === key && day >= from && day <= to) add(day, part, counters, row)
  }
}

/** By day, then partition (a module function, not a closure per query). */
function byDayThenPart(a: number, b: number): number {
  return cells.days[a]! - cells.days[b]! || cells.parts[a]! - cells.parts[b]!
}

export function dailyRows(q: DailyRequest, key: number, partitions: readonly PartitionCounts[]): DailyRows {
  cells.n = 0
  for (let p = 0; p < partitions.length; p++)
    for (const bucket of partitions[p]!.bucketsFrom(q.watermark)) gather(bucket[q.kind], p, key, q.fromDay, q.toDay)
  const { n, days, parts, counters, rows, order } = cells
  order.length = n
  for (let i = 0; i < n; i++) order[i] = i
  order.sort(byDayThenPart)
  cells.counters.length = n
  const out: DailyRows = []
  for (let start = 0; start < n;) {
    const day = days[order[start]!]!
    let end = start
    while (end < n && days[order[end]!] === day) end++
    const v = {} as MetricValues
    for (let i = 0; i < N_ADDITIVE; i++) {
      let sum = 0
      for (let k = start; k < end; k++) sum += counters[order[k]!]!.value(rows[order[k]!]!, i)
      v[ADDITIVE_METRICS[i]!.name] = sum
    }
    for (let j = 0; j < N_DISTINCT; j++) {
      let sum = 0
      // One partition's cells of the day at a time: a listener's plays stay in their partition.
      for (let k = start; k < end;) {
        let stop = k + 1
        while (stop < end && parts[order[stop]!] === parts[order[k]!]) stop++
        sum += distinctOver(j, counters, rows, order, k, stop)
        k = stop
      }
      v[DISTINCT_METRICS[j]!.name] = sum
    }
    out.push([day, v])
    start = end
  }
  // The reused columns must not keep the buckets' counters alive once they are dropped.
  cells.counters.length = 0
  return out
}
