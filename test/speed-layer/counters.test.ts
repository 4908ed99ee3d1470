import { describe, expect, it } from 'vitest'
import { EVENT_TYPES, type ListenEvent } from '../../shared/event.ts'
import { ADDITIVE_METRICS, contribution, distinctValue } from '../../shared/metrics.ts'
import { DISTINCT_METRICS, KindCounters, TYPE_INDEX, TYPE_PLANS, contributes } from '../../speed-layer/counters.ts'

const event = (type: ListenEvent['type'], msPlayed: number | undefined, userId = 'u1'): ListenEvent => ({
  eventId: 'e',
  ts: 0,
  userId,
  songId: 's',
  type,
  ...(msPlayed === undefined ? {} : { msPlayed }),
})

describe('counters driven by shared/metrics.ts', () => {
  it('add exactly what contribution() and distinctValue() say, for every event type', () => {
    for (const type of EVENT_TYPES) {
      for (const ms of [undefined, 0, 1, 123_456]) {
        const e = event(type, ms)
        const counters = new KindCounters()
        const plan = TYPE_PLANS[TYPE_INDEX.get(type)!]!
        counters.apply(20_000, 7, plan, ms ?? 0, 42)
        const row = counters.row(20_000, 7)
        ADDITIVE_METRICS.forEach((m, i) =>
          expect(counters.value(row, i), `${m.name} of ${type}/${ms}`).toBe(contribution(m, e)),
        )
        DISTINCT_METRICS.forEach((m, j) =>
          expect(counters.distinctCount(row, j)).toBe(distinctValue(m, e) === undefined ? 0 : 1),
        )
        const expectedAny =
          ADDITIVE_METRICS.some((m) => contribution(m, e) !== 0) ||
          DISTINCT_METRICS.some((m) => distinctValue(m, e) !== undefined)
        expect(contributes(plan, ms ?? 0)).toBe(expectedAny)
      }
    }
  })

  it('keeps many cells and members apart through table growth', () => {
    const play = TYPE_PLANS[TYPE_INDEX.get('play')!]!
    const counters = new KindCounters()
    for (let i = 0; i < 20_000; i++) counters.apply(19_000 + (i % 7), i % 1000, play, 1, i % 3000)
    expect(counters.size).toBe(7000)
    let plays = 0
    let members = 0
    for (let day = 19_000; day < 19_007; day++) {
      for (let key = 0; key < 1000; key++) {
        const row = counters.row(day, key)
        plays += counters.value(row, 0)
        members += counters.distinctCount(row, 0)
      }
    }
    expect(plays).toBe(20_000)
    // (day, key, user) triples: i and i + 21000k coincide only beyond 20,000, so every play is its own member.
    expect(members).toBe(20_000)
  })
})
