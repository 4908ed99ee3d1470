import { describe, expect, it } from 'vitest'
import { METRICS, zeroValues, type MetricValues } from '../../shared/metrics.ts'
import { dayNumber, resolveRange } from '../../serving-layer/days.ts'
import { mergeDaily } from '../../serving-layer/merge.ts'

const v = (plays: number, listeners: number): MetricValues => ({ ...zeroValues(), plays, listeners })
const D = (s: string) => dayNumber(s)!

describe('mergeDaily', () => {
  const batch = new Map([[D('2026-01-01'), v(5, 3)], [D('2026-01-02'), v(2, 2)]])
  const input = {
    first: D('2026-01-01'), last: D('2026-01-05'), watermark: Date.parse('2026-01-03T05:00:00Z'),
    batch: (d: number, out: Float64Array) => {
      const v = batch.get(d)
      if (v) METRICS.forEach((m, i) => { out[i] = v[m.name] })
      return v !== undefined
    },
    realtime: [{ '2026-01-02': v(1, 1), '2026-01-04': v(4, 2) }, { '2026-01-02': v(3, 0), '2026-01-04': v(1, 1) }],
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
    const { days } = mergeDaily({ ...input, realtime: [{ '2026-01-01': v(0, 0) }] })
    expect(days[0]).toMatchObject({ source: 'batch+realtime', listeners: 3, listenersExact: true })
  })

  it('totals sum the days; listeners over several days are an upper bound', () => {
    expect(mergeDaily(input).totals).toMatchObject({ plays: 16, listeners: 9, listenersExact: false })
    const one = mergeDaily({ ...input, first: D('2026-01-04'), last: D('2026-01-05') })
    expect(one.totals).toMatchObject({ plays: 5, listeners: 3, listenersExact: true })
  })
})

describe('resolveRange', () => {
  const now = Date.parse('2026-03-15T23:59:00Z')
  it('defaults to the last 30 days up to today (UTC)', () => {
    expect(resolveRange(undefined, undefined, now)).toMatchObject({ from: '2026-02-14', to: '2026-03-15' })
    expect(resolveRange(undefined, '2026-01-30', now)).toMatchObject({ from: '2026-01-01', to: '2026-01-30' })
  })
  it('refuses impossible dates, reversed and over-long ranges, naming the parameter', () => {
    expect(() => resolveRange('2026-02-29', undefined, now)).toThrow('from (querystring) must be a calendar date YYYY-MM-DD')
    expect(() => resolveRange('2026-03-02', '2026-03-01', now)).toThrow('from (querystring) must be on or before to')
    expect(() => resolveRange('2024-01-01', '2025-01-01', now)).toThrow('must span at most 366 days (asked 367)')
    expect(resolveRange('2024-01-01', '2024-12-31', now).last - resolveRange('2024-01-01', '2024-12-31', now).first).toBe(365)
  })
})

describe('dayNumber', () => {
  it('agrees with Date for every day of 1999-2101 and refuses impossible dates', () => {
    for (let ms = Date.UTC(1999, 0, 1); ms < Date.UTC(2101, 0, 1); ms += 86_400_000) {
      expect(dayNumber(new Date(ms).toISOString().slice(0, 10))).toBe(ms / 86_400_000)
    }
    for (const bad of ['2026-02-29', '2100-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-1-01', 'x']) expect(dayNumber(bad)).toBeUndefined()
    expect(dayNumber('2024-02-29')).toBe(Date.UTC(2024, 1, 29) / 86_400_000)
    expect(dayNumber('2000-02-29')).toBe(Date.UTC(2000, 1, 29) / 86_400_000)
  })
})
