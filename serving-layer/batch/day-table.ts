/**
 * The batch rows of one day as a table (the daily charts' batch part): every id with a row that day, its values in
 * METRICS order, and where each id is. A snapshot's indexes never change, so a table is built once per index, day and
 * filter and kept with the index (a WeakMap: a new snapshot brings new indexes, and the old tables go with the old
 * ones); a few dozen days per index at most.
 */
import { LRUCache } from 'lru-cache'
import type { Day } from '../../shared/day.ts'
import { METRICS } from '../../shared/metrics.ts'
import type { DailyIndex } from './daily-index.ts'

const M = METRICS.length

export interface DayTable {
  ids: readonly string[]
  /** Row i's values at i * METRICS.length (METRICS order). */
  values: Float64Array
  /** The row of each id. */
  rowOf: ReadonlyMap<string, number>
}

const TABLES_PER_INDEX = 64
const tables = new WeakMap<DailyIndex, LRUCache<string, DayTable>>()

/**
 * The rows of `day` in `index`; with `suffix`, those of the ids ending with it, each without it (a breakdown view's
 * rows of one dimension value: DailyIndex.forEachOnEnding).
 */
export function dayTable(index: DailyIndex, day: Day, suffix?: string): DayTable {
  let cache = tables.get(index)
  if (cache === undefined) tables.set(index, (cache = new LRUCache({ max: TABLES_PER_INDEX })))
  const key = suffix === undefined ? String(day) : `${day}${suffix}`
  let table = cache.get(key)
  if (table === undefined) cache.set(key, (table = build(index, day, suffix)))
  return table
}

function build(index: DailyIndex, day: Day, suffix: string | undefined): DayTable {
  const ids: string[] = []
  const rows: number[] = []
  const out = new Float64Array(M)
  const collect = (id: string): void => {
    ids.push(id)
    for (let m = 0; m < M; m++) rows.push(out[m]!)
  }
  if (suffix === undefined) index.forEachOn(day, out, collect)
  else index.forEachOnEnding(suffix, day, out, collect)
  return { ids, values: Float64Array.from(rows), rowOf: new Map(ids.map((id, i) => [id, i])) }
}
