/**
 * Answers a breakdown query from the breakdown records (event-log.ts): per (event day, value) of one dimension, one
 * song's or artist's metrics over the buckets at or after the watermark. Only the records of that song's or
 * artist's cells are visited; each record's value comes from the one definition (breakdown.ts SlotWriter) and adds
 * its type's plan (counters.ts TYPE_PLANS, the one metric definition). Listeners are unioned within a partition and
 * added across partitions, as for the daily cells (a listener lives in one partition).
 */
import { DIMENSIONS, SLOT_SPACE, slotOf, slotValue } from '../shared/dimensions.ts'
import { DAY_MS } from '../shared/day.ts'
import { HOUR_MS } from '../shared/layout.ts'
import { ADDITIVE_METRICS, type MetricValues } from '../shared/metrics.ts'
import type { EntityKind } from '../shared/realtime.ts'
import type { SlotWriter } from './breakdown.ts'
import { DISTINCT_METRICS, TYPE_PLANS } from './counters.ts'
import { countryOfPacked, deviceOfPacked, hourOfPacked, type EventLog } from './event-log.ts'
import type { PartitionCounts } from './partition-counts.ts'

export interface BreakdownRequest {
  partitions: number[]
  watermark: number
  kind: EntityKind
  id: string
  /** A dimension name (shared/dimensions.ts). */
  dimension: string
  /** Event days (days since the epoch, UTC), inclusive. */
  fromDay: number
  toDay: number
}

/** Days and values with data only, ordered by day then value slot. */
export type BreakdownRows = Array<[day: number, value: string, values: MetricValues]>

interface Cell {
  add: Float64Array
  sets: Array<Set<number>>
  distinct: Float64Array
}

function newCell(): Cell {
  return {
    add: new Float64Array(ADDITIVE_METRICS.length),
    sets: DISTINCT_METRICS.map(() => new Set<number>()),
    distinct: new Float64Array(DISTINCT_METRICS.length),
  }
}

/** Adds record `r` of `log` by its type's plan (the one metric definition); its listener joins the cell's sets. */
function addRecord(c: Cell, log: EventLog, r: number): void {
  const plan = TYPE_PLANS[log.type[r]!]!
  const ms = log.ms[r]!
  for (let i = 0; i < c.add.length; i++) c.add[i]! += plan.base[i]! + plan.slope[i]! * ms
  for (let j = 0; j < c.sets.length; j++) if (plan.distinct[j] === 1) c.sets[j]!.add(log.user[r]!)
}

/** Closes a partition: its listener sets become counts (a listener lives in one partition, so counts add). */
function endPartition(cells: Iterable<Cell>): void {
  for (const c of cells) {
    for (let j = 0; j < c.sets.length; j++) {
      c.distinct[j]! += c.sets[j]!.size
      c.sets[j]!.clear()
    }
  }
}

function valuesOf(c: Cell): MetricValues {
  const v = {} as MetricValues
  ADDITIVE_METRICS.forEach((m, i) => {
    v[m.name] = c.add[i]!
  })
  DISTINCT_METRICS.forEach((m, j) => {
    v[m.name] = c.distinct[j]!
  })
  return v
}

/** The slot (shared/dimensions.ts) of record `r`'s value of dimension index `dim`, its event being of `day`. */
function slotOfRecord(slots: SlotWriter, log: EventLog, r: number, day: number, dim: number): number {
  const packed = log.dims[r]!
  return slots.fill(
    countryOfPacked(packed),
    deviceOfPacked(packed),
    day * DAY_MS + hourOfPacked(packed) * HOUR_MS,
    day,
    log.user[r]!,
  )[dim]!
}

function dimensionIndex(name: string): number {
  const dim = DIMENSIONS.findIndex((d) => d.name === name)
  if (dim < 0) throw new RangeError(`no dimension ${name}`)
  return dim
}

export function breakdownRows(
  q: BreakdownRequest,
  key: number,
  partitions: readonly PartitionCounts[],
  slots: SlotWriter,
): BreakdownRows {
  const dim = dimensionIndex(q.dimension)
  const cells = new Map<number, Cell>()
  for (const pc of partitions) {
    for (const bucket of pc.bucketsFrom(q.watermark)) {
      const counters = bucket[q.kind]
      const log = bucket.log
      const visit = (day: number, row: number): void => {
        log.forEachOf(q.kind, row, (r) => {
          const id = day * SLOT_SPACE + slotOfRecord(slots, log, r, day, dim)
          let c = cells.get(id)
          if (c === undefined) cells.set(id, (c = newCell()))
          addRecord(c, log, r)
        })
      }
      // Probe each day of the range, or scan the bucket's cells once, whichever is fewer steps.
      if (q.toDay - q.fromDay < counters.size) {
        for (let day = q.fromDay; day <= q.toDay; day++) {
          const row = counters.row(day, key)
          if (row >= 0) visit(day, row)
        }
      } else {
        for (let row = 0; row < counters.size; row++) {
          const day = counters.dayOf(row)
          if (counters.cells.keyB[row] === key && day >= q.fromDay && day <= q.toDay) visit(day, row)
        }
      }
    }
    endPartition(cells.values())
  }
  return [...cells.keys()]
    .sort((a, b) => a - b)
    .map((id) => {
      const day = Math.floor(id / SLOT_SPACE)
      return [day, slotValue(id - day * SLOT_SPACE).value, valuesOf(cells.get(id)!)]
    })
}

export interface DayWhereRequest {
  watermark: number
  kind: EntityKind
  day: number
  dimension: string
  value: string
}

/**
 * Every song's or artist's metrics of one event day among the events whose value of one dimension is `value` (a
 * country's chart), by interned id: the records of every cell of that day, each record's value derived as above.
 */
export function dayRowsWhere(
  q: DayWhereRequest,
  partitions: readonly PartitionCounts[],
  slots: SlotWriter,
): Array<[key: number, values: MetricValues]> {
  const dim = dimensionIndex(q.dimension)
  const target = slotOf(dim, q.value)
  const cells = new Map<number, Cell>()
  for (const pc of partitions) {
    for (const bucket of pc.bucketsFrom(q.watermark)) {
      const counters = bucket[q.kind]
      if (q.day < counters.minDay || q.day > counters.maxDay) continue
      const log = bucket.log
      for (let row = 0; row < counters.size; row++) {
        if (counters.dayOf(row) !== q.day) continue
        const key = counters.cells.keyB[row]!
        log.forEachOf(q.kind, row, (r) => {
          if (slotOfRecord(slots, log, r, q.day, dim) !== target) return
          let c = cells.get(key)
          if (c === undefined) cells.set(key, (c = newCell()))
          addRecord(c, log, r)
        })
      }
    }
    endPartition(cells.values())
  }
  return [...cells].map(([key, c]) => [key, valuesOf(c)])
}
