import { describe, expect, it } from 'vitest'
import type { ListenerProfile } from '../../shared/catalog/listeners.ts'
import { dayOfMs } from '../../shared/day.ts'
import { encodeEvent, type ListenEvent } from '../../shared/event.ts'
import { HOUR_MS } from '../../shared/layout.ts'
import { packBatchFrom } from '../../shared/fast/batch-packing.ts'
import { SpeedEngine } from '../../speed-layer/engine.ts'

const T = Date.parse('2026-03-10T00:00:00Z')
const DAY = dayOfMs(T)
const PROFILES: ListenerProfile[] = [
  { userId: 'fan', country: 'BR', birthYear: 1990, gender: 'female', tier: 'premium', signupDate: null },
  { userId: 'kid', country: null, birthYear: 2010, gender: 'male', tier: 'free', signupDate: null },
]
const songs: Array<[string, string]> = [
  ['s1', 'a1'],
  ['s2', 'a1'],
]
const q = (dimension: string, kind: 'song' | 'artist' = 'song', id = 's1') => ({
  partitions: [0],
  watermark: 0,
  kind,
  id,
  dimension,
  fromDay: DAY,
  toDay: DAY,
})

function ev(i: number, over: Partial<ListenEvent>): ListenEvent {
  return { eventId: `e${i}`, ts: T + 5 * HOUR_MS, userId: 'fan', songId: 's1', type: 'play', ...over }
}

describe('speed-layer breakdowns', () => {
  it('the byte path and the decoded path give the same breakdowns, profile dimensions by the interned listener', () => {
    const events = [
      ev(1, {}),
      ev(2, { country: 'SE', device: 'tv' }),
      ev(3, { userId: 'kid', ts: T + 23 * HOUR_MS, msPlayed: 10 }),
      ev(4, { userId: 'stranger', type: 'skip', device: 'web' }),
      ev(5, { songId: 's2', userId: 'kid' }),
    ]
    const bytes = new SpeedEngine({ songs, dedupWindow: 100, bucketMs: HOUR_MS, profiles: PROFILES })
    const decoded = new SpeedEngine({ songs, dedupWindow: 100, bucketMs: HOUR_MS, profiles: PROFILES })
    bytes.assign(0, 0)
    decoded.assign(0, 0)
    const msgs = events.map((e, k) => ({
      offset: String(k),
      timestamp: String(T + 24 * HOUR_MS),
      value: Buffer.from(encodeEvent(e)),
      key: null,
      attributes: 0,
      headers: {},
    }))
    expect(bytes.ingest({ ...packBatchFrom(0, msgs, 0)!.buffers, now: T }).counted).toBe(5)
    for (const e of events) decoded.applyEvent(0, e, T + 24 * HOUR_MS, T)
    const values = (rows: ReturnType<SpeedEngine['breakdown']>) =>
      Object.fromEntries(rows.map(([, v, m]) => [v, [m.plays, m.skips, m.listeners]]))
    for (const engine of [bytes, decoded]) {
      expect(values(engine.breakdown(q('country')))).toEqual({ BR: [1, 0, 1], SE: [1, 0, 1], unknown: [1, 1, 1] })
      expect(values(engine.breakdown(q('device')))).toEqual({ tv: [1, 0, 1], web: [0, 1, 0], unknown: [2, 0, 2] })
      expect(values(engine.breakdown(q('hour')))).toEqual({ '05': [2, 1, 1], '23': [1, 0, 1] })
      expect(values(engine.breakdown(q('age')))).toEqual({ '13-17': [1, 0, 1], '35-44': [2, 0, 1], unknown: [0, 1, 0] })
      expect(values(engine.breakdown(q('age_gender', 'artist', 'a1')))).toEqual({
        '13-17|male': [2, 0, 1],
        '35-44|female': [2, 0, 1],
        unknown: [0, 1, 0],
      })
      expect(values(engine.breakdown(q('tier', 'artist', 'a1')))).toEqual({
        premium: [2, 0, 1],
        free: [2, 0, 1],
        unknown: [0, 1, 0],
      })
    }
  })

  it('keeps profiles and breakdown listeners right after the listener ids are compacted', () => {
    const engine = new SpeedEngine({ songs, dedupWindow: 10, bucketMs: HOUR_MS, profiles: PROFILES })
    engine.assign(0, 0)
    // 130,000 one-off listeners in the first hour, then only a few: dropping that hour compacts the ids.
    for (let i = 0; i < 130_000; i++) engine.applyEvent(0, ev(i, { userId: `x${i}`, songId: 's2' }), T, T)
    const later = T + HOUR_MS
    engine.applyEvent(0, ev(200_001, { userId: 'kid' }), later, later)
    engine.applyEvent(0, ev(200_002, { userId: 'late-one' }), later, later)
    engine.applyEvent(0, ev(200_003, { userId: 'late-one' }), later, later)
    const before = engine.stats().listenerIds
    expect(engine.dropBefore(0, later)).toBe(1)
    expect(engine.stats().listenerIds).toBeLessThan(before / 10)
    const tiers = Object.fromEntries(engine.breakdown(q('tier')).map(([, v, m]) => [v, [m.plays, m.listeners]]))
    expect(tiers).toEqual({ free: [1, 1], unknown: [2, 1] })
  })
})
