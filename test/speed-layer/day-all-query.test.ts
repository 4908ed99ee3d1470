import { describe, expect, it } from 'vitest'
import { DAY_MS } from '../../shared/day.ts'
import { HOUR_MS } from '../../shared/layout.ts'
import { InlineEngine } from '../../speed-layer/engine-client.ts'

const DAY = 20_600
const SONGS = 1500

describe('dayAll', () => {
  it('answers every key of the day as the single-key daily query does, listeners unioned per partition', () => {
    const songs = Array.from({ length: SONGS }, (_, s) => [`s${s}`, `a${s % 40}`] as const)
    const client = new InlineEngine({ songs, dedupWindow: 100_000, bucketMs: HOUR_MS })
    const { engine } = client
    for (const p of [0, 1]) engine.assign(p, 0)
    const start = DAY * DAY_MS
    let n = 0
    // Three arrival hours, listeners coming back in later hours, each listener in one partition (its Kafka key).
    for (let hour = 0; hour < 3; hour++) {
      for (let i = 0; i < 6000; i++) {
        const user = (i * 7 + hour) % 900
        const songId = `s${(i * 13) % SONGS}`
        const ts = start + hour * HOUR_MS + (i % 3600) * 1000
        const type = i % 5 === 0 ? 'skip' : 'play'
        engine.applyEvent(
          user % 2,
          { eventId: `e${n++}`, ts, userId: `u${user}`, songId, type, msPlayed: i % 9000 },
          ts,
          ts,
        )
      }
    }
    for (const kind of ['song', 'artist'] as const) {
      const all = engine.dayAll({ partitions: [0, 1], watermark: start, kind, day: DAY })
      expect(all.length).toBe(kind === 'song' ? SONGS : 40)
      for (const [id, values] of all) {
        const daily = engine.daily({ partitions: [0, 1], watermark: start, kind, id, fromDay: DAY, toDay: DAY })
        expect([id, values]).toEqual([id, daily[0]![1]])
      }
    }
    // Two listeners of s0 in one partition over two hours, one in the other: three.
    const one = new InlineEngine({ songs: [['s0', 'a0']], dedupWindow: 100, bucketMs: HOUR_MS }).engine
    for (const p of [0, 1]) one.assign(p, 0)
    const play = (p: number, user: string, hour: number): void => {
      const ts = start + hour * HOUR_MS
      one.applyEvent(p, { eventId: `x${n++}`, ts, userId: user, songId: 's0', type: 'play', msPlayed: 10 }, ts, ts)
    }
    play(0, 'u1', 0)
    play(0, 'u1', 1)
    play(0, 'u2', 1)
    play(1, 'u3', 0)
    const answer = one.dayAll({ partitions: [0, 1], watermark: start, kind: 'song', day: DAY })
    expect(answer).toHaveLength(1)
    const v = answer[0]![1]
    expect(v).toMatchObject({ plays: 4, listeners: 3 })
  })
})
