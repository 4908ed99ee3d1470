import { describe, expect, it } from 'vitest'
import { generateCatalog } from '../../../shared/catalog/generate.ts'
import { simulate, type SimOptions, type SimOutput } from '../../../tools/simulator/simulate.ts'
import { habitFor } from '../../../tools/simulator/habits.ts'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import { parseEventBytes } from '../../../shared/event.ts'
import { DAY_MS, HOUR_MS } from '../../../shared/layout.ts'

const g = generateCatalog({ artists: 200, songs: 2000, seed: 42 })
const catalog = new Catalog(g.artists, g.songs)
const START = Date.parse('2024-06-01T00:00:00Z')
const SEED = 11
const base: SimOptions = { catalog, listeners: 600, start: START, durationMs: DAY_MS, seed: SEED }
/** userId `user-000042` is listener index 41. */
const listenerIndex = (userId: string): number => Number(userId.slice('user-'.length)) - 1
const run = (o: Partial<SimOptions> = {}): SimOutput[] => [...simulate({ ...base, ...o })]
const text = (outs: SimOutput[]): string => outs.map((o) => o.line).join('\n')

describe('the simulator', () => {
  const day = run()
  const plays = day.filter((o) => o.event?.type === 'play')
  const count = (type: string): number => day.filter((o) => o.event?.type === type).length

  it('gives byte-identical output for the same seed and start, different output otherwise', () => {
    const opts = { durationMs: 2 * HOUR_MS, duplicates: 0.05, late: 0.05, malformed: 0.05 }
    expect(text(run(opts))).toBe(text(run(opts)))
    expect(text(run({ ...opts, seed: 12 }))).not.toBe(text(run(opts)))
    expect(text(run({ ...opts, start: START + 1 }))).not.toBe(text(run(opts)))
  })

  it('emits in time order, eventIds UUID-shaped and unique', () => {
    expect(day.filter((o, i) => i > 0 && o.at < day[i - 1]!.at)).toEqual([])
    const ids = day.map((o) => o.event!.eventId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids.slice(0, 500))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(day[0]!.at).toBeGreaterThanOrEqual(START)
    expect(day.at(-1)!.at).toBeLessThan(START + DAY_MS)
  })

  it('emits lines the contract accepts, equal to the event it reports', () => {
    // One expect per event would dominate the run time: collect the mismatches instead.
    const wrong = day.filter((o) => {
      const r = parseEventBytes(o.line, { songExists: catalog.hasSong, now: START + DAY_MS })
      return !r.ok || JSON.stringify(r.event) !== JSON.stringify(o.event) || o.key !== o.event!.userId
    })
    expect(wrong).toEqual([])
  })

  it('has a realistic mix (tolerances: skip 15-30%, like 4-11%, dislike 0.5-3%, pause 3-9% of plays)', () => {
    expect(plays.length).toBeGreaterThan(12_000)
    expect(count('skip') / plays.length).toBeGreaterThan(0.15)
    expect(count('skip') / plays.length).toBeLessThan(0.3)
    expect(count('like') / plays.length).toBeGreaterThan(0.04)
    expect(count('like') / plays.length).toBeLessThan(0.11)
    expect(count('dislike') / plays.length).toBeGreaterThan(0.005)
    expect(count('dislike') / plays.length).toBeLessThan(0.03)
    expect(count('pause') / plays.length).toBeGreaterThan(0.03)
    expect(count('pause') / plays.length).toBeLessThan(0.09)
    // Every play ends in exactly one complete or skip, unless the span cut it short.
    expect(plays.length - count('complete') - count('skip')).toBeLessThan(plays.length * 0.02)
    // msPlayed sums to real listening: completes carry the song's length minus any pre-pause part.
    for (const o of day.filter((x) => x.event?.type === 'complete').slice(0, 200)) {
      expect(o.event!.msPlayed).toBeLessThanOrEqual(catalog.songs.get(o.event!.songId)!.durationMs)
    }
    expect(new Set(day.map((o) => o.event!.device)).size).toBe(7)
    expect(new Set(day.map((o) => o.event!.country)).size).toBeGreaterThan(15)
    expect(day.some((o) => o.line.includes('"ts":"2024-'))).toBe(true)
  })

  it('skews popularity: the top 1% of songs take a large share of plays, and listeners differ in taste', () => {
    const bySong = new Map<string, number>()
    for (const o of plays) bySong.set(o.event!.songId, (bySong.get(o.event!.songId) ?? 0) + 1)
    const sorted = [...bySong.values()].sort((a, b) => b - a)
    const top1 = sorted.slice(0, 20).reduce((a, b) => a + b, 0) / plays.length
    expect(top1).toBeGreaterThan(0.25)
    expect(bySong.size).toBeGreaterThan(800)
    const genresOf = (user: string): Map<string, number> => {
      const m = new Map<string, number>()
      for (const o of plays)
        if (o.key === user)
          m.set(catalog.songs.get(o.event!.songId)!.genre, (m.get(catalog.songs.get(o.event!.songId)!.genre) ?? 0) + 1)
      return m
    }
    const heavy = [...new Set(plays.map((o) => o.key))]
      .map((u) => ({ u, n: plays.filter((o) => o.key === u).length }))
      .sort((a, b) => b.n - a.n)
    const top = heavy[0]!
    const favourite = Math.max(...genresOf(top.u).values())
    expect(favourite / top.n).toBeGreaterThan(0.4)
    expect(heavy[0]!.n).toBeGreaterThan(5 * heavy[Math.floor(heavy.length / 2)]!.n)
  })

  it("follows a daily rhythm: evenings busier than nights in the listener's time zone", () => {
    // Day listeners' rhythm; the heavy night listeners have their own (habits.ts).
    const us = plays.filter((o) => o.event!.country === 'US' && habitFor(SEED, listenerIndex(o.key)) !== 'heavy-night')
    const localHour = (t: number): number => new Date(t - 5 * HOUR_MS).getUTCHours()
    const evening = us.filter((o) => [18, 19, 20].includes(localHour(o.event!.ts))).length
    const night = us.filter((o) => [2, 3, 4].includes(localHour(o.event!.ts))).length
    expect(evening).toBeGreaterThan(3 * night)
  })

  it('gives each listener a habit (seeded, its own stream) that shows in its events', () => {
    const byHabit = new Map<string, { plays: number; skips: number }>()
    for (const o of day) {
      const h = habitFor(SEED, listenerIndex(o.key))
      const acc = byHabit.get(h) ?? { plays: 0, skips: 0 }
      byHabit.set(h, acc)
      if (o.event?.type === 'play') acc.plays++
      if (o.event?.type === 'skip') acc.skips++
    }
    const skipRate = (h: string): number => byHabit.get(h)!.skips / byHabit.get(h)!.plays
    const ofHabit = (h: string): number =>
      Array.from({ length: base.listeners }, (_, i) => habitFor(SEED, i)).filter((x) => x === h).length
    const playsPerListener = (h: string): number => byHabit.get(h)!.plays / ofHabit(h)
    expect(skipRate('skipper')).toBeGreaterThan(2 * skipRate('casual'))
    expect(skipRate('completionist')).toBeLessThan(0.5 * skipRate('casual'))
    expect(playsPerListener('heavy-night')).toBeGreaterThan(3 * playsPerListener('casual'))
    expect(habitFor(SEED, 7)).toBe(habitFor(SEED, 7))
  })

  it("injects faults at the asked fractions without shifting the listeners' stream", () => {
    const f = 0.05
    const faulty = run({ duplicates: f, late: f, malformed: f })
    const baseEvents = faulty.filter((o) => o.kind === 'valid' || o.kind === 'late')
    expect(baseEvents.map((o) => o.event!.eventId)).toEqual(day.map((o) => o.event!.eventId))
    const n = baseEvents.length
    const share = (kind: string): number => faulty.filter((o) => o.kind === kind).length / n
    for (const kind of ['duplicate', 'late', 'malformed']) {
      expect(share(kind)).toBeGreaterThan(f * 0.9)
      expect(share(kind)).toBeLessThan(f * 1.1)
    }
    const now = START + DAY_MS
    const seen = new Map(baseEvents.map((o) => [o.event!.eventId, o.line]))
    const reasons = new Set<string>()
    const wrong = faulty.filter((o) => {
      const r = parseEventBytes(o.line, { songExists: catalog.hasSong, now })
      if (o.kind === 'malformed') {
        reasons.add(o.reason!)
        return r.ok || r.issue.reason !== o.reason
      }
      if (!r.ok) return true
      if (o.kind === 'duplicate') return o.line !== seen.get(o.event!.eventId)
      if (o.kind === 'late') return o.at - o.event!.ts < HOUR_MS || o.at - o.event!.ts > 72 * HOUR_MS
      return false
    })
    expect(wrong).toEqual([])
    expect(reasons).toEqual(new Set(['bad_json', 'missing_field', 'unknown_song', 'future_ts']))
  })

  it('refuses bad options', () => {
    expect(() => run({ listeners: -1 })).toThrow(RangeError)
    expect(() => run({ late: 2 })).toThrow(RangeError)
    expect(() => run({ durationMs: 0 })).toThrow(RangeError)
  })
})
