import { describe, expect, it } from 'vitest'
import { METRICS, zeroValues, type MetricValues } from '../../shared/metrics.ts'
import { parseDay } from '../../shared/day.ts'
import { mergeDaily } from '../../serving-layer/merge.ts'

const v = (plays: number, listeners: number): MetricValues => ({ ...zeroValues(), plays, listeners })
const D = (s: string) => parseDay(s)!

describe('mergeDaily', () => {
  const batch = new Map([
    [D('2026-01-01'), v(5, 3)],
    [D('2026-01-02'), v(2, 2)],
  ])
  const input = {
    first: D('2026-01-01'),
    last: D('2026-01-05'),
    watermark: Date.parse('2026-01-03T05:00:00Z'),
    batch: (d: number, out: Float64Array) => {
      const v = batch.get(d)
      if (v)
        METRICS.forEach((m, i) => {
          out[i] = v[m.name]
        })
      return v !== undefined
    },
    realtime: [
      new Map([
        [D('2026-01-02'), v(1, 1)],
        [D('2026-01-04'), v(4, 2)],
      ]),
      new Map([
        [D('2026-01-02'), v(3, 0)],
        [D('2026-01-04'), v(1, 1)],
      ]),
    ],
  }

  it('adds batch and every realtime answer per day and names the source', () => {
    const { days } = mergeDaily({ ...input, withParts: true })
    expect(days.map((d) => [d.date, d.plays, d.listeners, d.listenersExact, d.source])).toEqual([
      ['2026-01-01', 5, 3, true, 'batch'],
      ['2026-01-02', 6, 3, false, 'batch+realtime'],
      // No data: before W's day it is the batch's (zero), from W's day on the realtime's.
      ['2026-01-03', 0, 0, true, 'realtime'],
      ['2026-01-04', 5, 3, true, 'realtime'],
      ['2026-01-05', 0, 0, true, 'realtime'],
    ])
    expect(days[1]!.parts).toEqual({ batch: v(2, 2), realtime: v(4, 1) })
  })

  it('a day whose realtime part has no listeners stays exact', () => {
    const { days } = mergeDaily({ ...input, realtime: [new Map([[D('2026-01-01'), v(0, 0)]])] })
    expect(days[0]).toMatchObject({ source: 'batch+realtime', listeners: 3, listenersExact: true })
  })

  it('totals sum the days; listeners over several days are an upper bound', () => {
    expect(mergeDaily(input).totals).toMatchObject({ plays: 16, listeners: 9, listenersExact: false })
    const one = mergeDaily({ ...input, first: D('2026-01-04'), last: D('2026-01-05') })
    expect(one.totals).toMatchObject({ plays: 5, listeners: 3, listenersExact: true })
  })
})
