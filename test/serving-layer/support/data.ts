/** A small catalog and seeded random listening events for the serving-layer tests and bench. */
import { Catalog, type Artist, type Song } from '../../../shared/catalog/catalog.ts'
import { EVENT_TYPES, type ListenEvent } from '../../../shared/event.ts'
import { rng } from '../../support/random.ts'
import type { ArrivedEvent } from './events-realtime-view.ts'

export { rng }

export function testCatalog(artists = 3, songsPerArtist = 3): Catalog {
  const as: Artist[] = []
  const ss: Song[] = []
  for (let a = 0; a < artists; a++) {
    as.push({
      artistId: `a${a}`,
      name: `Artist ${a} ${['Nova', 'Echo', 'Drift', 'Pulse'][a % 4]}`,
      genre: 'pop',
      country: 'DE',
    })
    for (let s = 0; s < songsPerArtist; s++) {
      ss.push({
        songId: `s${a}-${s}`,
        artistId: `a${a}`,
        title: `Song ${s} of ${a}`,
        genre: 'pop',
        durationMs: 200_000,
        popularityRank: a * songsPerArtist + s,
      })
    }
  }
  return new Catalog(as, ss)
}

/** Partition by userId, as the Kafka key does. */
export function partitionOf(userId: string, partitions: number): number {
  let h = 0
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0
  return h % partitions
}

export interface EventSpec {
  catalog: Catalog
  count: number
  users: number
  /** Arrivals spread uniformly over [start, end). */
  start: number
  end: number
  /** Share of events whose event time is 1 to 3 days before their arrival. */
  lateShare: number
  partitions: number
  random: () => number
}

export function randomEvents(spec: EventSpec): ArrivedEvent[] {
  const songs = [...spec.catalog.songs.keys()]
  const out: ArrivedEvent[] = []
  for (let i = 0; i < spec.count; i++) {
    const r = spec.random
    const arrivedAt = Math.floor(spec.start + r() * (spec.end - spec.start))
    const late = r() < spec.lateShare
    const ts = arrivedAt - (late ? Math.floor((1 + r() * 2) * 86_400_000) : Math.floor(r() * 120_000))
    const userId = `u${Math.floor(r() * spec.users)}`
    const type = r() < 0.5 ? 'play' : EVENT_TYPES[Math.floor(r() * EVENT_TYPES.length)]!
    const event: ListenEvent = {
      eventId: `e${i}`,
      ts,
      userId,
      songId: songs[Math.floor(r() * songs.length)]!,
      type,
      msPlayed: Math.floor(r() * 200_000),
    }
    out.push({ event, arrivedAt, partition: partitionOf(userId, spec.partitions) })
  }
  return out.sort((a, b) => a.arrivedAt - b.arrivedAt)
}
