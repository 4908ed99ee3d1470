import { describe, expect, it } from 'vitest'
import { generateCatalog } from '../../../shared/catalog/generate.ts'

describe('generateCatalog', () => {
  const spec = { artists: 300, songs: 3000, seed: 7 }
  const c = generateCatalog(spec)

  it('is deterministic by seed', () => {
    expect(generateCatalog(spec)).toEqual(c)
    expect(generateCatalog({ ...spec, seed: 8 }).artists[0]?.name).not.toBe(undefined)
    expect(JSON.stringify(generateCatalog({ ...spec, seed: 8 }))).not.toBe(JSON.stringify(c))
  })

  it('has unique ids, every song by a known artist and every artist with a song', () => {
    expect(new Set(c.artists.map((a) => a.artistId)).size).toBe(300)
    expect(new Set(c.songs.map((s) => s.songId)).size).toBe(3000)
    const artists = new Set(c.artists.map((a) => a.artistId))
    expect(c.songs.every((s) => artists.has(s.artistId))).toBe(true)
    expect(new Set(c.songs.map((s) => s.artistId)).size).toBe(300)
  })

  it('ranks popularity 1..N with no gaps', () => {
    expect(c.songs.map((s) => s.popularityRank).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 3000 }, (_, i) => i + 1),
    )
  })

  it('looks like a real catalog: names, genres, plausible durations, skewed catalogue sizes', () => {
    for (const a of c.artists) {
      expect(a.name).toMatch(/^\S.*\S$/)
      expect(a.country).toMatch(/^[A-Z]{2}$/)
    }
    expect(new Set(c.artists.map((a) => a.name)).size).toBeGreaterThan(280)
    expect(new Set(c.songs.map((s) => s.genre)).size).toBeGreaterThanOrEqual(10)
    for (const s of c.songs) {
      expect(s.title.length).toBeGreaterThan(1)
      expect(s.durationMs).toBeGreaterThanOrEqual(45_000)
      expect(s.durationMs).toBeLessThanOrEqual(900_000)
    }
    const median = [...c.songs.map((s) => s.durationMs)].sort((a, b) => a - b)[1500]!
    expect(median).toBeGreaterThan(150_000)
    expect(median).toBeLessThan(300_000)
    // Big artists have big catalogues: the top 10% of artists hold well over 10% of the songs.
    const perArtist = new Map<string, number>()
    for (const s of c.songs) perArtist.set(s.artistId, (perArtist.get(s.artistId) ?? 0) + 1)
    const top = [...perArtist.values()]
      .sort((a, b) => b - a)
      .slice(0, 30)
      .reduce((x, y) => x + y, 0)
    expect(top / 3000).toBeGreaterThan(0.25)
  })

  it('refuses impossible sizes', () => {
    expect(() => generateCatalog({ artists: 0, songs: 10, seed: 1 })).toThrow(RangeError)
    expect(() => generateCatalog({ artists: 10, songs: 5, seed: 1 })).toThrow(RangeError)
  })
})
