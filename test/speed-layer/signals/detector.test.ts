import { describe, expect, it } from 'vitest'
import type { Signal } from '../../../shared/signals.ts'
import { SignalDetector } from '../../../speed-layer/signals/detector.ts'
import type { Rule } from '../../../speed-layer/signals/rules.ts'
import { rng } from '../../support/random.ts'

const PLAY = 0
const SKIP = 2
const RULE: Rule = {
  name: 'repeat-play',
  type: 'play',
  threshold: 3,
  windowMs: 30 * 60_000,
  per: 'song',
  latenessMs: 3_600_000,
}
const names = { song: (n: number) => `s${n}`, artist: (n: number) => `a${n}` }
const T0 = Date.parse('2026-03-01T10:00:00Z')
const MIN = 60_000

function run(
  events: Array<[ts: number, type: number, listener: string, song: number]>,
  rules: Rule[] = [RULE],
  cap = 1000,
): { signals: Signal[]; d: SignalDetector } {
  const d = new SignalDetector(rules, 0, cap, names)
  const signals: Signal[] = []
  events.forEach(([ts, type, listener, song], i) => d.observe(i, ts, type, listener, song, song % 2, signals))
  return { signals, d }
}

describe('interest-rule detection (one partition)', () => {
  it('fires once per window, at the threshold-th play, with the first and last event times', () => {
    const { signals } = run([
      [T0 + MIN, PLAY, 'u', 1],
      [T0 + 2 * MIN, SKIP, 'u', 1],
      [T0 + 3 * MIN, PLAY, 'u', 1],
      [T0 + 9 * MIN, PLAY, 'u', 1],
      [T0 + 10 * MIN, PLAY, 'u', 1],
    ])
    expect(signals).toHaveLength(1)
    expect(signals[0]).toMatchObject({
      rule: 'repeat-play',
      listener: 'u',
      songId: 's1',
      artistId: 'a1',
      key: 's1',
      count: 3,
      firstTs: T0 + MIN,
      lastTs: T0 + 9 * MIN,
      windowStart: T0,
      windowEnd: T0 + 30 * MIN,
      offset: 3,
    })
  })

  it('keeps windows apart: another song, listener or window does not add to the count; a boundary splits a burst', () => {
    const { signals } = run([
      [T0 + MIN, PLAY, 'u', 1],
      [T0 + 2 * MIN, PLAY, 'u', 2],
      [T0 + 3 * MIN, PLAY, 'v', 1],
      [T0 + 25 * MIN, PLAY, 'w', 3],
      [T0 + 29 * MIN, PLAY, 'w', 3],
      [T0 + 31 * MIN, PLAY, 'w', 3],
    ])
    expect(signals).toEqual([])
  })

  it('fires the same windows with the same ids whatever the arrival order (late events within the lateness)', () => {
    const r = rng(5)
    const events: Array<[number, number, string, number]> = Array.from({ length: 2000 }, () => [
      T0 + Math.floor(r() * 40 * MIN),
      r() < 0.7 ? PLAY : SKIP,
      `u${Math.floor(r() * 20)}`,
      Math.floor(r() * 3),
    ])
    const shuffled = [...events].sort(() => r() - 0.5)
    const ids = (s: Signal[]) => s.map((x) => x.id).sort()
    const inOrder = run(events).signals
    expect(inOrder.length).toBeGreaterThan(20)
    expect(ids(run(shuffled).signals)).toEqual(ids(inOrder))
  })

  it('counts per artist for a per-artist rule', () => {
    const rule: Rule = { ...RULE, name: 'artist-skips', type: 'skip', threshold: 2, per: 'artist' }
    const { signals } = run(
      [
        [T0 + MIN, SKIP, 'u', 1],
        [T0 + 2 * MIN, SKIP, 'u', 3],
      ],
      [rule],
    )
    expect(signals.map((s) => [s.key, s.songId])).toEqual([['a1', 's3']])
  })

  it('drops an event whose window closed more than the lateness ago, and forgets closed windows on prune', () => {
    const { signals, d } = run([
      [T0 + MIN, PLAY, 'u', 1],
      [T0 + 2 * MIN, PLAY, 'u', 1],
      [T0 + 3 * 3_600_000, PLAY, 'v', 9],
      [T0 + 3 * MIN, PLAY, 'u', 1],
    ])
    expect(signals).toEqual([])
    expect(d.stats()).toMatchObject({ tooLate: 1, windows: 2 })
    d.prune()
    expect(d.stats().windows).toBe(1)
  })

  it('holds at most the cap of open windows, evicting the oldest opened', () => {
    const events: Array<[number, number, string, number]> = Array.from({ length: 5000 }, (_, i) => [
      T0 + i,
      PLAY,
      `u${i}`,
      1,
    ])
    const { d } = run(events, [RULE], 1000)
    expect(d.stats().windows).toBeLessThanOrEqual(1000)
    expect(d.stats().evicted).toBeGreaterThanOrEqual(4000)
  })
})
