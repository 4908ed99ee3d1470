/**
 * The merge rule (ARCHITECTURE.md): value(day) = batch(day, arrivals < W) + Σ realtime answers(day, arrivals ≥ W).
 * The two parts hold disjoint events, so every additive metric is exact. Listeners are distinct userIds:
 * realtime sets are exact and additive across instances (a listener lives in one partition), but a listener can
 * be in both the batch and the realtime part of one day, so such a day's listeners are batch + realtime, an
 * upper bound, flagged `listenersExact: false`.
 *
 * `source` names the parts with data that day. A day without data in either part is 'batch' when it ended at or
 * before W (the batch run covered all of it that had arrived by then) and 'realtime' otherwise.
 */
import { DAY_MS } from '../shared/layout.ts'
import { METRICS, zeroValues, type MetricValues } from '../shared/metrics.ts'
import { dayString } from './days.ts'

export type Source = 'batch' | 'realtime' | 'batch+realtime'

export interface DailyRow extends MetricValues {
  date: string
  listenersExact: boolean
  source: Source
  /** The batch and realtime parts, when asked for (`?parts=true`). */
  parts?: { batch: MetricValues; realtime: MetricValues }
}

export interface Totals extends MetricValues { listenersExact: boolean }

export interface MergeInput {
  first: number
  last: number
  watermark: number
  /** Writes the batch values of a day into `out` (METRICS order); false when the batch has no row for it. */
  batch: (day: number, out: Float64Array) => boolean
  /** The realtime answers to add, each only the days with data. */
  realtime: ReadonlyArray<Record<string, MetricValues>>
  withParts?: boolean
}

const NAMES = METRICS.map((m) => m.name)
const M = NAMES.length
const LISTENERS = NAMES.indexOf('listeners')

/**
 * Builds a day row as one object literal with every metric in METRICS order. Generated once from METRICS (our own
 * identifiers, never input) because filling `row[name]` key by key made the merge the hottest part of a request.
 */
const makeRow = new Function('date', 'b', 'r', 'exact', 'source',
  `return { date, ${NAMES.map((n, i) => `${n}: b[${i}] + r[${i}]`).join(', ')}, listenersExact: exact, source }`,
) as (date: string, b: Float64Array, r: Float64Array, exact: boolean, source: Source) => DailyRow

export function mergeDaily(input: MergeInput): { days: DailyRow[]; totals: Totals } {
  const days: DailyRow[] = []
  const totals = { ...zeroValues(), listenersExact: true } as Totals
  // A day that ends at or before W is wholly the batch's as far as arrivals before W go.
  const batchDayLimit = Math.floor(input.watermark / DAY_MS)
  const b = new Float64Array(M)
  const r = new Float64Array(M)
  const sum = new Float64Array(M)
  let daysWithListeners = 0
  for (let d = input.first; d <= input.last; d++) {
    const date = dayString(d)
    const hasBatch = input.batch(d, b)
    if (!hasBatch) b.fill(0)
    const hasRealtime = sumRealtime(input.realtime, date, r)
    const source: Source = hasBatch && hasRealtime ? 'batch+realtime' : hasBatch ? 'batch' : hasRealtime ? 'realtime' : d < batchDayLimit ? 'batch' : 'realtime'
    const row = makeRow(date, b, r, !(b[LISTENERS]! > 0 && r[LISTENERS]! > 0), source)
    for (let m = 0; m < M; m++) sum[m]! += b[m]! + r[m]!
    if (input.withParts) row.parts = { batch: toValues(b), realtime: toValues(r) }
    days.push(row)
    if (row.listeners > 0) daysWithListeners++
    if (!row.listenersExact) totals.listenersExact = false
  }
  for (let m = 0; m < M; m++) totals[NAMES[m]!] = sum[m]!
  // Distinct listeners do not add across days: a sum over several days is an upper bound.
  if (daysWithListeners > 1) totals.listenersExact = false
  return { days, totals }
}

function sumRealtime(answers: MergeInput['realtime'], date: string, out: Float64Array): boolean {
  out.fill(0)
  let any = false
  for (let i = 0; i < answers.length; i++) {
    const v = answers[i]![date]
    if (!v) continue
    any = true
    for (let m = 0; m < M; m++) out[m]! += v[NAMES[m]!] ?? 0
  }
  return any
}

function toValues(a: Float64Array): MetricValues {
  const v = zeroValues()
  for (let m = 0; m < M; m++) v[NAMES[m]!] = a[m]!
  return v
}
