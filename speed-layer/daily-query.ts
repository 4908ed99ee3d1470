/**
 * Answers the daily query of one song or artist (engine.ts `daily`): per event day of the range, its cells in the
 * arrival buckets at or after the watermark, summed. Additive metrics add; distinct ones are unioned within a
 * partition (a listener can play in several hours) and their sizes added across partitions (the Kafka key is the
 * userId, so partitions never share a listener).
 *
 * A report's hot path: each bucket's cells of the key are walked through its key chain (shared/fast/key-chains.ts),
 * one partition's cells are grouped by day in columns reused by every query (a query runs to completion), and the
 * days' sums are kept in reused columns too, so a query allocates its answer and nothing else.
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

/** Additive keys, then distinct ones: the key order of every answer. */
const TEMPLATE = {} as MetricValues
for (const m of [...ADDITIVE_METRICS, ...DISTINCT_METRICS]) TEMPLATE[m.name] = 0

/** Days with data only, in order. */
export type DailyRows = Array<[day: number, values: MetricValues]>

const N_ADDITIVE = ADDITIVE_METRICS.length
const N_DISTINCT = DISTINCT_METRICS.length
/** Per day: the additive sums, then the distinct sizes. */
const WIDTH = N_ADDITIVE + N_DISTINCT

/** The cells of one partition: cell i is row `rows[i]` of `counters[i]`, on `days[i]`; `order` sorts them by day. */
const cells = { n: 0, days: [0], counters: [] as Array<KindCounters | undefined>, rows: [0], order: [0] }

/** The days of the answer so far (in the order met) and their values at `k * WIDTH`. */
const found = { n: 0, days: [0], values: new Float64Array(16 * WIDTH), order: [0] }

function add(day: number, counters: KindCounters, row: number): void {
  const i = cells.n++
  cells.days[i] = day
  cells.counters[i] = counters
  cells.rows[i] = row
}

/** The slot of `day` among the days found, added (zeroed) when new: a query meets a few days, so a scan is enough. */
function slotOf(day: number): number {
  for (let k = 0; k < found.n; k++) if (found.days[k] === day) return k
  const k = found.n++
  found.days[k] = day
  if (found.values.length < found.n * WIDTH) {
    const grown = new Float64Array(found.values.length * 2)
    grown.set(found.values)
    found.values = grown
  }
  found.values.fill(0, k * WIDTH, (k + 1) * WIDTH)
  return k
}

/** Adds the partition's gathered cells to the days found: additive values summed, distinct members unioned by day. */
function addPartition(): void {
  const { n, days, rows, order } = cells
  const counters = cells.counters as KindCounters[]
  // Insertion sort by day: a partition has a few cells of one key.
  for (let i = 0; i < n; i++) {
    let j = i
    for (; j > 0 && days[order[j - 1]!]! > days[i]!; j--) order[j] = order[j - 1]!
    order[j] = i
  }
  for (let start = 0; start < n;) {
    const day = days[order[start]!]!
    let end = start + 1
    while (end < n && days[order[end]!] === day) end++
    const at = slotOf(day) * WIDTH
    const values = found.values
    for (let k = start; k < end; k++) counters[order[k]!]!.addValues(rows[order[k]!]!, values, at)
    for (let j = 0; j < N_DISTINCT; j++)
      values[at + N_ADDITIVE + j]! += distinctOver(j, counters, rows, order, start, end)
    start = end
  }
  // The reused column must not keep the buckets' counters alive once they are dropped.
  counters.fill(undefined as unknown as KindCounters, 0, n)
}

/** By day (a module function, not a closure per query). */
function byDay(a: number, b: number): number {
  return found.days[a]! - found.days[b]!
}

export function dailyRows(q: DailyRequest, key: number, partitions: readonly PartitionCounts[]): DailyRows {
  found.n = 0
  for (let p = 0; p < partitions.length; p++) {
    cells.n = 0
    for (const bucket of partitions[p]!.bucketsFrom(q.watermark)) {
      const counters = bucket[q.kind]
      for (let row = counters.byKey.first(key); row >= 0; row = counters.byKey.after(row)) {
        const day = counters.dayOf(row)
        if (day >= q.fromDay && day <= q.toDay) add(day, counters, row)
      }
    }
    // One partition's cells at a time: a listener's plays stay in their partition.
    addPartition()
  }
  const order = found.order
  order.length = found.n
  for (let k = 0; k < found.n; k++) order[k] = k
  order.sort(byDay)
  const out: DailyRows = []
  for (const k of order) {
    // A copy of a template has every key already: the stores below change values, they add no property.
    const v = { ...TEMPLATE }
    const at = k * WIDTH
    for (let i = 0; i < N_ADDITIVE; i++) v[ADDITIVE_METRICS[i]!.name] = found.values[at + i]!
    for (let j = 0; j < N_DISTINCT; j++) v[DISTINCT_METRICS[j]!.name] = found.values[at + N_ADDITIVE + j]!
    out.push([found.days[k]!, v])
  }
  return out
}
