import { describe, expect, it } from 'vitest'
import { EVENT_TYPES, type ListenEvent } from '../../shared/event.ts'
import { ADDITIVE_METRICS, METRICS, contribution, distinctValue } from '../../shared/metrics.ts'
import { Cell, Contribution, DISTINCT_METRICS, DayAccumulator } from '../../speed-layer/counters.ts'

const event = (type: ListenEvent['type'], msPlayed: number | undefined, userId = 'u1'): ListenEvent =>
  ({ eventId: 'e', ts: 0, userId, songId: 's', type, ...(msPlayed === undefined ? {} : { msPlayed }) })

describe('counters driven by shared/metrics.ts', () => {
  it('add exactly what contribution() and distinctValue() say, for every event type', () => {
    const c = new Contribution()
    for (const type of EVENT_TYPES) {
      for (const ms of [undefined, 0, 1, 123_456]) {
        const e = event(type, ms)
        const any = c.load(e)
        ADDITIVE_METRICS.forEach((m, i) => expect(c.add[i], `${m.name} of ${type}/${ms}`).toBe(contribution(m, e)))
        DISTINCT_METRICS.forEach((m, j) => expect(c.distinct[j]).toBe(distinctValue(m, e)))
        const expectedAny = ADDITIVE_METRICS.some((m) => contribution(m, e) !== 0) || DISTINCT_METRICS.some((m) => distinctValue(m, e) !== undefined)
        expect(any).toBe(expectedAny)
      }
    }
  })

  it('union distinct values within a partition and add them across partitions', () => {
    const c = new Contribution()
    const hour1 = new Cell()
    const hour2 = new Cell()
    const otherPartition = new Cell()
    c.load(event('play', 10, 'u1'))
    hour1.apply(c)
    hour2.apply(c) // the same listener an hour later
    c.load(event('play', 5, 'u2'))
    hour2.apply(c)
    c.load(event('play', 1, 'u3'))
    otherPartition.apply(c)
    const acc = new DayAccumulator()
    acc.addCell(hour1)
    acc.addCell(hour2)
    acc.endPartition()
    acc.addCell(otherPartition)
    acc.endPartition()
    const v = acc.values()
    expect(Object.keys(v).sort()).toEqual(METRICS.map((m) => m.name).sort())
    expect(v.plays).toBe(4)
    expect(v.msPlayed).toBe(26)
    expect(v.listeners).toBe(3)
  })
})
