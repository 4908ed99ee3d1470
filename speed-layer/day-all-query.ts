/**
 * Answers the daily charts' query (engine.ts `dayAll` without `where`): every song's or artist's cells of one event
 * day in the arrival buckets at or after the watermark, summed per key. Additive metrics add; distinct ones are
 * unioned within a partition and their sizes added across partitions (a listener lives in one partition), as in
 * daily-query.ts.
 *
 * A chart asks for thousands of keys at once: the sums are columns indexed by a slot per key, and a partition's cells
 * are grouped by slot with a counting sort into columns reused by every query (a query runs to completion), so a
 * query allocates its answer and a few arrays, not an accumulator per key.
 */
import { ADDITIVE_METRICS, type MetricValues } from '../shared/metrics.ts'
import type { EntityKind } from '../shared/realtime.ts'
import { DISTINCT_METRICS, KindCounters, distinctOver } from './counters.ts'
import type { PartitionCounts } from './partition-counts.ts'

export interface DayAllQuery {
  watermark: number
  kind: EntityKind
  /** Days since the epoch (UTC). */
  day: number
}

const N_ADDITIVE = ADDITIVE_METRICS.length
const N_DISTINCT = DISTINCT_METRICS.length

/** One partition's cells of the day: cell i is row `rows[i]` of `counters[i]`, of the key in slot `slots[i]`. */
const cells = { n: 0, slots: [0], counters: [] as KindCounters[], rows: [0], order: [0] }

/** Held in `cells.counters` between queries instead of the buckets' counters (so dropped buckets can be collected). */
const NO_COUNTERS = new KindCounters()

/**
 * The slot of each key (interned ids: small integers) + 1, 0 for none; reused by every query and cleared of the keys
 * it set, as a Map per query costs more than the rest of the scan.
 */
let slotOfKey: Int32Array = new Int32Array(4096)

export function dayAllRows(
  q: DayAllQuery,
  partitions: readonly PartitionCounts[],
): Array<[key: number, values: MetricValues]> {
  const keys: number[] = []
  let additive: Float64Array = new Float64Array(1024 * N_ADDITIVE)
  let distinct: Float64Array = new Float64Array(1024 * N_DISTINCT)
  for (const pc of partitions) {
    cells.n = 0
    for (const bucket of pc.bucketsFrom(q.watermark)) {
      const counters = bucket[q.kind]
      if (q.day < counters.minDay || q.day > counters.maxDay) continue
      for (let row = 0; row < counters.size; row++) {
        if (counters.dayOf(row) !== q.day) continue
        const key = counters.cells.keyB[row]!
        if (key >= slotOfKey.length) slotOfKey = grownInt(slotOfKey, key + 1)
        let slot = slotOfKey[key]! - 1
        if (slot < 0) {
          slot = keys.length
          slotOfKey[key] = slot + 1
          keys.push(key)
          if (keys.length * N_ADDITIVE > additive.length) {
            additive = grown(additive)
            distinct = grown(distinct)
          }
        }
        for (let i = 0; i < N_ADDITIVE; i++) additive[slot * N_ADDITIVE + i]! += counters.value(row, i)
        const c = cells.n++
        cells.slots[c] = slot
        cells.counters[c] = counters
        cells.rows[c] = row
      }
    }
    addDistinct(distinct, keys.length)
  }
  // The reused columns must not keep the buckets' counters alive once they are dropped.
  cells.counters.fill(NO_COUNTERS)
  for (const key of keys) slotOfKey[key] = 0
  return keys.map((key, slot) => {
    const v = {} as MetricValues
    for (let i = 0; i < N_ADDITIVE; i++) v[ADDITIVE_METRICS[i]!.name] = additive[slot * N_ADDITIVE + i]!
    for (let j = 0; j < N_DISTINCT; j++) v[DISTINCT_METRICS[j]!.name] = distinct[slot * N_DISTINCT + j]!
    return [key, v]
  })
}

function grownInt(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(Math.max(size, a.length * 2))
  b.set(a)
  return b
}

function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2)
  b.set(a)
  return b
}

/** Closes a partition: the cells of each slot (grouped by a counting sort) add their distinct counts. */
function addDistinct(distinct: Float64Array, slots: number): void {
  const { n, order } = cells
  const start = new Int32Array(slots + 1)
  for (let c = 0; c < n; c++) start[cells.slots[c]! + 1]!++
  for (let s = 0; s < slots; s++) start[s + 1]! += start[s]!
  const end = start.slice()
  order.length = n
  for (let c = 0; c < n; c++) order[end[cells.slots[c]!]!++] = c
  for (let s = 0; s < slots; s++) {
    if (start[s] === start[s + 1]) continue
    for (let j = 0; j < N_DISTINCT; j++)
      distinct[s * N_DISTINCT + j]! += distinctOver(j, cells.counters, cells.rows, order, start[s]!, start[s + 1]!)
  }
}
