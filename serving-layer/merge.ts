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
import { ADDITIVE_METRICS, METRICS, zeroValues, type MetricValues } from '../shared/metrics.ts'
import { dayString } from './days.ts'

export type Source = 'batch' | 'realtime' | 'batch+realtime'

export interface DailyRow extends MetricValues {
  date: string
  listenersExact: boolean
  source: Source
  parts: { batch: MetricValues; realtime: MetricValues }
}

export interface Totals extends MetricValues { listenersExact: boolean }

export interface MergeInput {
  first: number
  last: number
  watermark: number
  batch: (day: number) => MetricValues | undefined
  /** The realtime answers to add, each only the days with data. */
  realtime: ReadonlyArray<Record<string, MetricValues>>
}

export function mergeDaily(input: MergeInput): { days: DailyRow[]; totals: Totals } {
  const days: DailyRow[] = []
  const totals = { ...zeroValues(), listenersExact: true } as Totals
  // A day that ends at or before W is wholly the batch's as far as arrivals before W go.
  const batchDayLimit = Math.floor(input.watermark / DAY_MS)
  for (let d = input.first; d <= input.last; d++) {
    const date = dayString(d)
    const b = input.batch(d)
    let rt: MetricValues | undefined
    for (const answer of input.realtime) {
      const r = answer[date]
      if (!r) continue
      rt ??= zeroValues()
      for (const m of METRICS) rt[m.name] += r[m.name] ?? 0
    }
    const batch = b ?? zeroValues()
    const realtime = rt ?? zeroValues()
    const row = { date } as DailyRow
    for (const m of METRICS) row[m.name] = batch[m.name] + realtime[m.name]
    row.listenersExact = !(b && rt && b.listeners > 0 && realtime.listeners > 0)
    row.source = b && rt ? 'batch+realtime' : b ? 'batch' : rt ? 'realtime' : d < batchDayLimit ? 'batch' : 'realtime'
    row.parts = { batch, realtime }
    days.push(row)
    for (const m of ADDITIVE_METRICS) totals[m.name] += row[m.name]
    totals.listeners += row.listeners
    if (!row.listenersExact) totals.listenersExact = false
  }
  // Distinct listeners do not add across days: a sum over several days is an upper bound.
  if (days.filter((r) => r.listeners > 0).length > 1) totals.listenersExact = false
  return { days, totals }
}
