import { describe, expect, it } from 'vitest'
import { METRICS } from '../../../shared/metrics.ts'
import { DailyIndex, DailyIndexBuilder } from '../../../serving-layer/batch/daily-index.ts'
import { breakdownId, breakdownValues } from '../../../serving-layer/batch/load-views.ts'

describe('DailyIndex', () => {
  it('answers (id, day) from packed series, undefined for gaps and unknown ids', () => {
    const b = new DailyIndexBuilder()
    const row = (n: number) => METRICS.map((_, i) => n * 10 + i)
    b.add('s1', 100, row(1))
    b.add('s1', 103, row(2))
    b.add('s2', 50, row(3))
    const index = b.build()
    expect(index.rows).toBe(3)
    expect(index.ids).toBe(2)
    expect(index.get('s1', 100)).toEqual(Object.fromEntries(METRICS.map((m, i) => [m.name, 10 + i])))
    expect(index.get('s1', 103)?.plays).toBe(20)
    expect(index.get('s1', 101)).toBeUndefined()
    expect(index.get('s1', 99)).toBeUndefined()
    expect(index.get('s1', 104)).toBeUndefined()
    expect(index.get('s3', 100)).toBeUndefined()
    expect(DailyIndex.EMPTY.get('s1', 100)).toBeUndefined()
  })
})

describe('DailyIndex.read', () => {
  it('copies a row into a buffer without allocating, false for gaps', () => {
    const b = new DailyIndexBuilder()
    b.add(
      'a1',
      10,
      METRICS.map((_, i) => i + 1),
    )
    const index = b.build()
    const out = new Float64Array(METRICS.length)
    expect(index.read('a1', 10, out)).toBe(true)
    expect([...out]).toEqual(METRICS.map((_, i) => i + 1))
    expect(index.read('a1', 11, out)).toBe(false)
    expect(index.read('zz', 10, out)).toBe(false)
  })
})

describe('DailyIndex.forEachOnEnding', () => {
  it('visits only the ids with the suffix that have a row that day, without the suffix, the same on a second call', () => {
    const b = new DailyIndexBuilder()
    const values = (plays: number) => METRICS.map((m) => (m.name === 'plays' ? plays : 0))
    b.add('s1\u0000country\u0000SE', 10, values(3))
    b.add('s2\u0000country\u0000SE', 11, values(4))
    b.add('s3\u0000country\u0000SE', 10, values(5))
    b.add('s1\u0000country\u0000DE', 10, values(6))
    b.add('s1\u0000tier\u0000free', 10, values(7))
    const index = b.build()
    const out = new Float64Array(METRICS.length)
    const plays = METRICS.findIndex((m) => m.name === 'plays')
    const seen = (suffix: string, day: number): Array<[string, number]> => {
      const got: Array<[string, number]> = []
      index.forEachOnEnding(suffix, day, out, (id) => got.push([id, out[plays]!]))
      return got.sort()
    }
    expect(seen('\u0000country\u0000SE', 10)).toEqual([
      ['s1', 3],
      ['s3', 5],
    ])
    expect(seen('\u0000country\u0000SE', 10)).toEqual(seen('\u0000country\u0000SE', 10))
    expect(seen('\u0000country\u0000SE', 11)).toEqual([['s2', 4]])
    expect(seen('\u0000country\u0000DE', 10)).toEqual([['s1', 6]])
    expect(seen('\u0000country\u0000JP', 10)).toEqual([])
  })
})

describe('breakdownValues', () => {
  it("lists only the values one id's dimension has rows of, not another id's or dimension's", () => {
    const b = new DailyIndexBuilder()
    const row = METRICS.map(() => 1)
    for (const id of [
      breakdownId('a1', 'country', 'SE'),
      breakdownId('a1', 'country', 'DE'),
      breakdownId('a1', 'device', 'mobile'),
      breakdownId('a10', 'country', 'JP'),
    ])
      b.add(id, 10, row)
    const index = b.build()
    expect([...breakdownValues(index, 'a1', 'country')].sort()).toEqual(['DE', 'SE'])
    expect(breakdownValues(index, 'a1', 'device')).toEqual(['mobile'])
    expect(breakdownValues(index, 'a10', 'country')).toEqual(['JP'])
    expect(breakdownValues(index, 'a2', 'country')).toEqual([])
  })
})
