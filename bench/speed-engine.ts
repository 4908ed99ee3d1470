/**
 * The speed engine alone, without Kafka, for bench/speed.bench.ts: CPU per event (the consuming thread's copy into a
 * batch, the engine's parse, validate, dedup, count, trending, breakdowns, rules) and memory per key; and the bench's
 * catalog, listener profiles and event text, which the Kafka runs share.
 */
import { Catalog, type Artist, type Song } from '../shared/catalog/catalog.ts'
import { generateListeners } from '../shared/catalog/listeners.ts'
import { packBatchFrom } from '../shared/fast/batch-packing.ts'
import { Dedup } from '../shared/fast/dedup-table.ts'
import { DAY_MS } from '../shared/layout.ts'
import { SpeedEngine, type EngineBatch } from '../speed-layer/engine.ts'
import type { Rule } from '../speed-layer/signals/rules.ts'

export const SONGS = 50_000
const ARTISTS = 5_000
export const TYPES = ['play', 'play', 'play', 'complete', 'skip', 'like', 'pause'] as const

const USERS = 200_000
/** Profiles for the bench's listeners `user-0` .. `user-199999` (shared/catalog/listeners.ts). */
const PROFILES = generateListeners({ listeners: USERS, seed: 7 }).map((p, i) => ({ ...p, userId: `user-${i}` }))
const DEVICE_MIX = ['mobile', 'mobile', 'mobile', 'desktop', 'web', 'tv', 'speaker'] as const
const COUNTRY_MIX = ['DE', 'US', 'BR', 'GB', 'FR', 'SE', 'JP', 'MX', 'IN', 'KR', 'ES'] as const

export function benchCatalog(): Catalog {
  const artists: Artist[] = Array.from({ length: ARTISTS }, (_, i) => ({
    artistId: `ar${i}`,
    name: `A${i}`,
    genre: 'pop',
    country: 'US',
  }))
  const songs: Song[] = Array.from({ length: SONGS }, (_, i) => ({
    songId: `so${i}`,
    artistId: `ar${i % ARTISTS}`,
    title: `S${i}`,
    genre: 'pop',
    durationMs: 200_000,
    popularityRank: i,
  }))
  return new Catalog(artists, songs, PROFILES)
}

export function eventText(i: number, ts: number, userId: string, song: number, type: string, msPlayed: number): string {
  return `{"eventId":"${i.toString(16).padStart(8, '0')}-5bd2-4e1a-9f3c-${(i * 7919).toString(16).padStart(12, '0')}","ts":${ts},"userId":"${userId}","songId":"so${song}","type":"${type}","msPlayed":${msPlayed},"device":"${DEVICE_MIX[i % 7]!}"${i % 5 === 0 ? '' : `,"country":"${COUNTRY_MIX[i % 11]!}"`}}`
}

/**
 * Where the time of one event goes without Kafka: the consuming thread's copy into a batch, then the engine's work,
 * with the given interest rules and breakdown records on or off. `recent`: event times one after another over the
 * last hour (as live traffic has them, so every play reaches an open window) instead of spread over two days.
 */
export function cpuPerEvent(
  rules: readonly Rule[] = [],
  recent = false,
  breakdowns = true,
): { encodeUs: number; engineUs: number; signals: number } {
  const n = 300_000
  const now = Date.now()
  const tsOf = (i: number): number =>
    recent ? now - 3_600_000 + Math.floor((i * 3_600_000) / n) : now - ((i * 7777) % (2 * DAY_MS))
  const catalog = benchCatalog()
  const messages = Array.from({ length: n }, (_, i) => ({
    offset: String(i),
    timestamp: String(now),
    key: null,
    attributes: 0,
    headers: {},
    value: Buffer.from(
      eventText(i, tsOf(i), `user-${(i * 31) % 200_000}`, (i * 13) % 2000, TYPES[i % TYPES.length]!, i % 240_000),
    ),
  }))
  const batches: EngineBatch[] = []
  let t = performance.now()
  for (let i = 0; i < n; i += 2000)
    batches.push({ ...packBatchFrom(0, messages.slice(i, i + 2000), 0)!.buffers, now: Date.now() })
  const encodeUs = ((performance.now() - t) * 1000) / n
  const engine = new SpeedEngine({
    songs: [...catalog.songs.values()].map((x) => [x.songId, x.artistId] as const),
    dedupWindow: 500_000,
    bucketMs: 3_600_000,
    rules,
    profiles: catalog.listeners,
    breakdowns,
  })
  engine.assign(0, 0)
  t = performance.now()
  let counted = 0
  let signals = 0
  for (const b of batches) {
    const o = engine.ingest(b)
    counted += o.counted
    signals += o.signals.length
  }
  const engineUs = ((performance.now() - t) * 1000) / n
  if (counted === 0) throw new RangeError('the engine counted nothing')
  return { encodeUs, engineUs, signals }
}

function heapAfterGc(gc: () => void): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Bytes per (day, song) key: one engine partition filled with a million distinct keys, each from one play. */
export function memoryPerKey(gc: () => void, breakdowns: boolean): { perKey: number; perDedupId: number } {
  const songs = 100_000
  const keys = 1_000_000
  const songIds = Array.from({ length: songs }, (_, i) => `so${i}`)
  const engine = new SpeedEngine({
    songs: songIds.map((id, i) => [id, `ar${i % 500}`] as const),
    dedupWindow: 1000,
    bucketMs: 3_600_000,
    profiles: PROFILES,
    breakdowns,
  })
  engine.assign(0, 0)
  const now = Date.now()
  const before = heapAfterGc(gc)
  for (let i = 0; i < keys; i++) {
    const e = {
      eventId: `e${i}`,
      ts: (i % 10) * DAY_MS + 20_000 * DAY_MS + (i % 24) * 3_600_000,
      userId: `user-${i % 5000}`,
      songId: songIds[Math.floor(i / 10)]!,
      type: 'play' as const,
      msPlayed: 1000,
      device: DEVICE_MIX[i % 7]!,
      country: COUNTRY_MIX[i % 11]!,
    }
    engine.applyEvent(0, e, now, now)
  }
  const filled = heapAfterGc(gc)
  if (engine.stats().songKeys !== keys)
    throw new RangeError(`expected ${keys} song keys, got ${engine.stats().songKeys}`)
  const perKey = (filled - before) / keys

  const ids = 1_000_000
  const d0 = heapAfterGc(gc)
  const dedup = new Dedup(ids)
  for (let i = 0; i < ids; i++)
    dedup.add(`${i.toString(16).padStart(8, '0')}-5bd2-4e1a-9f3c-${(i * 7919).toString(16).padStart(12, '0')}`)
  const d1 = heapAfterGc(gc)
  // Both fills stay reachable until here, so neither measurement sees the other collected.
  if (dedup.size !== ids || engine.stats().songKeys !== keys) throw new RangeError('fills lost entries')
  return { perKey, perDedupId: (d1 - d0) / ids }
}
