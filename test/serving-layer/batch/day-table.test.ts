import { describe, expect, it } from 'vitest'
import { METRICS } from '../../../shared/metrics.ts'
import { DailyIndexBuilder, type DailyIndex } from '../../../serving-layer/batch/daily-index.ts'
import { dayTable } from '../../../serving-layer/batch/day-table.ts'
import { breakdownId } from '../../../serving-layer/batch/load-views.ts'

const PLAYS = METRICS.findIndex((m) => m.name === 'plays')

/** An index (one snapshot's view) with the given plays per id on `day`. */
function index(day: number, plays: Record<string, number>): DailyIndex {
  const b = new DailyIndexBuilder()
  for (const [id, n] of Object.entries(plays))
    b.add(
      id,
      day,
      METRICS.map((m) => (m.name === 'plays' ? n : 0)),
    )
  return b.build()
}

const playsOf = (t: ReturnType<typeof dayTable>): Record<string, number> =>
  Object.fromEntries(t.ids.map((id) => [id, t.values[t.rowOf.get(id)! * METRICS.length + PLAYS]!]))

describe('dayTable', () => {
  it("is kept per index: the same table twice for one snapshot, the new snapshot's rows once it is swapped in", () => {
    const first = index(10, { s1: 3, s2: 4 })
    expect(playsOf(dayTable(first, 10))).toEqual({ s1: 3, s2: 4 })
    expect(dayTable(first, 10)).toBe(dayTable(first, 10))
    // The next batch run: same day, other values and ids.
    const next = index(10, { s1: 30, s3: 5 })
    expect(playsOf(dayTable(next, 10))).toEqual({ s1: 30, s3: 5 })
    expect(playsOf(dayTable(first, 10))).toEqual({ s1: 3, s2: 4 })
    expect(dayTable(next, 11).ids).toEqual([])
  })

  it("with a suffix, a breakdown view's rows of one value, each id without it, kept apart from other values", () => {
    const view = index(10, {
      [breakdownId('s1', 'country', 'SE')]: 2,
      [breakdownId('s2', 'country', 'SE')]: 7,
      [breakdownId('s1', 'country', 'DE')]: 9,
    })
    expect(playsOf(dayTable(view, 10, breakdownId('', 'country', 'SE')))).toEqual({ s1: 2, s2: 7 })
    expect(playsOf(dayTable(view, 10, breakdownId('', 'country', 'DE')))).toEqual({ s1: 9 })
  })
})
