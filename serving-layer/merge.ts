/**
 * The merge rule (docs/ARCHITECTURE.md#watermark-and-the-merge-rule):
 * value(day) = batch(day, arrivals < W) + Σ realtime answers(day, arrivals ≥ W).
 * The two parts hold disjoint events, so every additive metric is exact. Listeners are distinct userIds:
 * realtime sets are exact and additive across instances (a listener lives in one partition), but a listener can
 * be in both the batch and the realtime part of one day, so such a day's listeners are batch + realtime, an
 * upper bound, flagged `listenersExact: false`.
 *
 * `source` names the parts with data that day (batchRunDays: which part a day without data belongs to).
 */
import { dayOfMs, formatDay, type Day } from '../shared/day.ts'
import { METRICS, zeroValues, type MetricValues } from '../shared/metrics.ts'

export type Source = 'batch' | 'realtime' | 'batch+realtime'

export interface DailyRow extends MetricValues {
  date: string
  listenersExact: boolean
  source: Source
  /** The batch and realtime parts, when asked for (`?parts=true`). */
  parts?: { batch: MetricValues; realtime: MetricValues }
}

export interface Totals extends MetricValues {
  listenersExact: boolean
}

export interface MergeInput {
  first: Day
  last: Day
  watermark: number
  /** Writes the batch values of a day into `out` (METRICS order); false when the batch has no row for it. */
  batch: (day: Day, out: Float64Array) => boolean
  /** The realtime answers to add, each only the days with data. */
  realtime: ReadonlyArray<ReadonlyMap<Day, MetricValues>>
  withParts?: boolean
}

const NAMES = METRICS.map((m) => m.name)
const M = NAMES.length
const LISTENERS = NAMES.indexOf('listeners')

/** A day row with every metric in METRICS order (the key order of the JSON and CSV answers). */
function makeRow(date: string, b: Float64Array, r: Float64Array, exact: boolean, source: Source): DailyRow {
  const row = { date } as DailyRow
  for (let m = 0; m < M; m++) row[NAMES[m]!] = b[m]! + r[m]!
  row.listenersExact = exact
  row.source = source
  return row
}

/** The merged report as objects: for CSV and `?parts` (the JSON hot path is daily-json.ts). */
export function mergeDaily(input: MergeInput): { days: DailyRow[]; totals: Totals } {
  const writer = new RowsWriter(input)
  const sums = mergeDays(input, writer)
  const totals = { ...toValues(sums.values), listenersExact: sums.listenersExact } as Totals
  return { days: writer.days, totals }
}

/** A merge's totals and the parts of its days with data, or undefined when no day of the range has data. */
export function mergeTotals(input: MergeInput): { totals: Totals; source: Source } | undefined {
  const parts = new PartsSeen(input)
  const sums = mergeDays(input, parts)
  if (!parts.batch && !parts.realtime) return undefined
  const totals = { ...toValues(sums.values), listenersExact: sums.listenersExact } as Totals
  return { totals, source: parts.batch && parts.realtime ? 'batch+realtime' : parts.batch ? 'batch' : 'realtime' }
}

/**
 * Which parts the days with data (any metric not zero) come from, without writing rows: the breakdown route merges
 * once per value of a dimension and needs only each value's totals and source.
 */
class PartsSeen implements MergeVisitor {
  batch = false
  realtime = false
  constructor(private readonly input: MergeInput) {}

  day(_day: Day, p: Readonly<MergedDay>): void {
    let data = false
    for (let m = 0; m < M && !data; m++) data = p.b[m]! + p.r[m]! !== 0
    if (!data) return
    if (p.source !== 'realtime') this.batch = true
    if (p.source !== 'batch') this.realtime = true
  }

  batchRun(first: Day, last: Day): BatchRunSums {
    return batchRunDays(this.input, first, last, this)
  }
}

/** The day rows of one merge (a class, not closures: the breakdown route merges once per dimension value). */
class RowsWriter implements MergeVisitor {
  readonly days: DailyRow[] = []
  constructor(private readonly input: MergeInput) {}

  day(day: Day, p: Readonly<MergedDay>): void {
    const row = makeRow(formatDay(day), p.b, p.r, p.exact, p.source)
    if (this.input.withParts) row.parts = { batch: toValues(p.b), realtime: toValues(p.r) }
    this.days.push(row)
  }

  batchRun(first: Day, last: Day): BatchRunSums {
    return batchRunDays(this.input, first, last, this)
  }
}

/** One day as the merge rule sees it: both parts (METRICS order; zeros where a part has no data) and its flags. */
export interface MergedDay {
  b: Float64Array
  r: Float64Array
  hasBatch: boolean
  hasRealtime: boolean
  exact: boolean
  source: Source
}

export interface MergedSums {
  values: Float64Array
  listenersExact: boolean
}

/** The sums of a run of days without realtime data, whose merged values are the batch's alone. */
export interface BatchRunSums {
  /** METRICS order. */
  values: Float64Array
  /** Days of the run with listeners (distinct listeners do not add across days). */
  daysWithListeners: number
}

/** How a report is written from the merge, day by day; `merged` is reused, read it before returning. */
export interface MergeVisitor {
  /** A day with realtime data. */
  day(day: Day, merged: Readonly<MergedDay>): void
  /**
   * The days first..last, none with realtime data: write them (batchRunDays walks them) and return their sums. A
   * run depends only on the batch snapshot, so a writer may keep what it wrote per snapshot (daily-json.ts).
   */
  batchRun(first: Day, last: Day): Readonly<BatchRunSums>
}

/**
 * The merge rule, once, for every way a report is written (objects for CSV and `?parts`, JSON text on the hot
 * path): the days of the range in order, each day with realtime data on its own and the runs of days between them
 * as wholes, and the totals.
 */
export function mergeDays(input: MergeInput, visitor: MergeVisitor): MergedSums {
  const sums: RangeSums = { values: new Float64Array(M), listenersExact: true, daysWithListeners: 0 }
  const { b, r } = scratch
  const p: MergedDay = { b, r, hasBatch: false, hasRealtime: true, exact: true, source: 'realtime' }
  const rt = realtimeByDay(input.realtime, input.first, input.last)
  let runFirst = input.first
  for (let i = 0, n = rt === undefined ? 0 : input.last - input.first + 1; i < n; i++) {
    if (rt!.has[i] !== 1) continue
    const d = input.first + i
    if (runFirst < d) addRun(sums, visitor.batchRun(runFirst, d - 1))
    runFirst = d + 1
    p.hasBatch = input.batch(d, b)
    if (!p.hasBatch) b.fill(0)
    for (let m = 0; m < M; m++) r[m] = rt!.values[i * M + m]!
    p.source = p.hasBatch ? 'batch+realtime' : 'realtime'
    p.exact = !(b[LISTENERS]! > 0 && r[LISTENERS]! > 0)
    for (let m = 0; m < M; m++) sums.values[m]! += b[m]! + r[m]!
    if (b[LISTENERS]! + r[LISTENERS]! > 0) sums.daysWithListeners++
    if (!p.exact) sums.listenersExact = false
    visitor.day(d, p)
  }
  if (runFirst <= input.last) addRun(sums, visitor.batchRun(runFirst, input.last))
  // Distinct listeners do not add across days: a sum over several days is an upper bound.
  if (sums.daysWithListeners > 1) sums.listenersExact = false
  return sums
}

interface RangeSums extends MergedSums {
  daysWithListeners: number
}

/** A module function, not a closure per merge: tsx names every closure it creates (keepNames), which costs. */
function addRun(sums: RangeSums, run: Readonly<BatchRunSums>): void {
  for (let m = 0; m < M; m++) sums.values[m]! += run.values[m]!
  sums.daysWithListeners += run.daysWithListeners
}

/**
 * The days first..last of a run without realtime data, each visited (`visitor.day`) with its batch part (and a zero
 * realtime part), and their sums. A day without data in either part is 'batch' when it ended at or before W (the
 * batch run covered all of it that had arrived by then) and 'realtime' otherwise.
 */
export function batchRunDays(
  input: Pick<MergeInput, 'batch' | 'watermark'>,
  first: Day,
  last: Day,
  visitor: Pick<MergeVisitor, 'day'>,
): BatchRunSums {
  // A day that ends at or before W is wholly the batch's as far as arrivals before W go.
  const batchDayLimit = dayOfMs(input.watermark)
  const sums: BatchRunSums = { values: new Float64Array(M), daysWithListeners: 0 }
  const b = new Float64Array(M)
  const p: MergedDay = { b, r: ZEROS, hasBatch: false, hasRealtime: false, exact: true, source: 'batch' }
  for (let d = first; d <= last; d++) {
    p.hasBatch = input.batch(d, b)
    if (!p.hasBatch) b.fill(0)
    p.source = p.hasBatch || d < batchDayLimit ? 'batch' : 'realtime'
    for (let m = 0; m < M; m++) sums.values[m]! += b[m]!
    if (b[LISTENERS]! > 0) sums.daysWithListeners++
    visitor.day(d, p)
  }
  return sums
}

/** The realtime part of a day without realtime data (never written to). */
const ZEROS = new Float64Array(M)

/**
 * The realtime answers summed per day of the range (METRICS order), walking only the days they hold (a few, as
 * the realtime part covers the days since W) instead of looking every day of the range up in every answer.
 */
function realtimeByDay(
  answers: MergeInput['realtime'],
  first: Day,
  last: Day,
): { values: Float64Array; has: Uint8Array } | undefined {
  let acc: { values: Float64Array; has: Uint8Array } | undefined
  for (const days of answers) {
    for (const [d, v] of days) {
      if (d < first || d > last) continue
      acc ??= scratchByDay(last - first + 1)
      const at = (d - first) * M
      acc.has[d - first] = 1
      for (let m = 0; m < M; m++) acc.values[at + m]! += v[NAMES[m]!] ?? 0
    }
  }
  return acc
}

/**
 * Buffers reused by every merge instead of five typed arrays per request: a merge runs to completion (`visit` is
 * synchronous and documented to read `merged` before returning), so no two merges share them at once.
 */
const scratch = { b: new Float64Array(M), r: new Float64Array(M), values: new Float64Array(0), has: new Uint8Array(0) }

/** The per-day realtime sums for `days` days, zeroed. */
function scratchByDay(days: number): { values: Float64Array; has: Uint8Array } {
  if (scratch.has.length < days) {
    scratch.values = new Float64Array(days * M)
    scratch.has = new Uint8Array(days)
  } else {
    scratch.values.fill(0, 0, days * M)
    scratch.has.fill(0, 0, days)
  }
  return { values: scratch.values, has: scratch.has }
}

function toValues(a: Float64Array): MetricValues {
  const v = zeroValues()
  for (let m = 0; m < M; m++) v[NAMES[m]!] = a[m]!
  return v
}
