/**
 * Who listens, and when: listener profiles (country, device, activity, taste) and the daily rhythm of sessions in
 * the listener's local time. The constants are the simulator's model; the tests assert the mix they produce.
 */
import type { Catalog, Song } from '../../shared/catalog/catalog.ts'
import type { Device } from '../../shared/event.ts'
import { listenerId } from '../../shared/catalog/listeners.ts'
import { DAY_MS, HOUR_MS } from '../../shared/layout.ts'
import { WeightedTable, zipfWeights, type Random } from '../../shared/random.ts'
import { HABIT_MODEL, NIGHT_RHYTHM, type Habit } from './habits.ts'

/** Relative session starts per local hour: a night trough, a commute peak, an evening high. */
export const HOURLY_RHYTHM = [
  0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.8, 1.4, 1.6, 1.2, 1.0, 1.1, 1.4, 1.3, 1.1, 1.1, 1.3, 1.6, 1.8, 1.9, 1.8, 1.5, 1.1,
  0.8,
] as const
const RHYTHM_MAX = Math.max(...HOURLY_RHYTHM)
const RHYTHM_MEAN = HOURLY_RHYTHM.reduce((a, b) => a + b, 0) / 24
const NIGHT_MEAN = NIGHT_RHYTHM.reduce((a, b) => a + b, 0) / 24

/** Country, share of listeners, UTC offset in hours (one zone per country is enough for a rhythm). */
const COUNTRIES: ReadonlyArray<readonly [string, number, number]> = [
  ['US', 28, -5],
  ['BR', 9, -3],
  ['GB', 7, 0],
  ['DE', 6, 1],
  ['MX', 5, -6],
  ['FR', 4, 1],
  ['IN', 5, 5.5],
  ['JP', 3, 9],
  ['KR', 2, 9],
  ['CA', 3, -5],
  ['ES', 3, 1],
  ['IT', 3, 1],
  ['AU', 2, 10],
  ['NL', 2, 1],
  ['SE', 2, 1],
  ['PL', 2, 1],
  ['ID', 3, 7],
  ['PH', 2, 8],
  ['NG', 2, 1],
  ['AR', 2, -3],
  ['CO', 2, -5],
  ['TR', 1, 3],
  ['ZA', 1, 2],
  ['IE', 1, 0],
]
const DEVICES: ReadonlyArray<readonly [Device, number]> = [
  ['mobile', 55],
  ['desktop', 14],
  ['web', 9],
  ['speaker', 9],
  ['tablet', 6],
  ['tv', 5],
  ['other', 2],
]
const countryTable = new WeightedTable(
  COUNTRIES,
  COUNTRIES.map((c) => c[1]),
)
export const deviceTable = new WeightedTable(
  DEVICES.map((d) => d[0]),
  DEVICES.map((d) => d[1]),
)

export const MEAN_SESSIONS_PER_DAY = 3
export const MEAN_SONGS_PER_SESSION = 14
const FAVORITES = 20

export interface Listener {
  readonly index: number
  readonly userId: string
  readonly country: string
  readonly utcOffsetMs: number
  readonly device: Device
  /** Sessions per day; heavy and light listeners differ by an order of magnitude. */
  readonly sessionsPerDay: number
  /** Chance of skipping a song outside the listener's taste; favourites are skipped far less. */
  readonly skipBase: number
  readonly genres: readonly string[]
  readonly favorites: ReadonlySet<string>
  readonly favoriteList: readonly Song[]
  /** Some app versions send ts as ISO-8601 text, the rest as epoch ms: both are the contract. */
  readonly isoTs: boolean
  /** How this listener listens (habits.ts); the segment tests check the nightly segments find it. */
  readonly habit: Habit
}

/** Popularity-weighted song tables: one over the whole catalog and one per genre. */
export class SongChooser {
  readonly all: WeightedTable<Song>
  readonly byGenre = new Map<string, WeightedTable<Song>>()
  readonly genres: WeightedTable<string>

  constructor(catalog: Catalog, zipfExponent = 1) {
    const ranked = [...catalog.songs.values()].sort(
      (a, b) => a.popularityRank - b.popularityRank || (a.songId < b.songId ? -1 : 1),
    )
    if (ranked.length === 0) throw new RangeError('the catalog has no songs')
    const weights = zipfWeights(ranked.length, zipfExponent)
    this.all = new WeightedTable(ranked, weights)
    const groups = new Map<string, { songs: Song[]; weights: number[] }>()
    ranked.forEach((s, i) => {
      const g = groups.get(s.genre) ?? { songs: [], weights: [] }
      g.songs.push(s)
      g.weights.push(weights[i]!)
      groups.set(s.genre, g)
    })
    const genreNames = [...groups.keys()].sort()
    for (const name of genreNames)
      this.byGenre.set(name, new WeightedTable(groups.get(name)!.songs, groups.get(name)!.weights))
    this.genres = new WeightedTable(
      genreNames,
      genreNames.map((n) => groups.get(n)!.weights.reduce((a, b) => a + b, 0)),
    )
  }
}

export function createListener(
  index: number,
  total: number,
  rng: Random,
  chooser: SongChooser,
  habit: Habit = 'casual',
): Listener {
  const [country, , offsetH] = countryTable.draw(rng)
  const first = chooser.genres.draw(rng)
  const genres = rng.chance(0.5) ? [first] : [...new Set([first, chooser.genres.draw(rng)])]
  const favoriteList: Song[] = []
  for (let i = 0; i < FAVORITES; i++) favoriteList.push(chooser.byGenre.get(rng.pick(genres))!.draw(rng))
  const model = HABIT_MODEL[habit]
  return {
    index,
    // The same ids as the generated listener profiles (shared/catalog/listeners.ts), so simulated events have profiles.
    userId: listenerId(index, total),
    country,
    utcOffsetMs: offsetH * HOUR_MS,
    device: deviceTable.draw(rng),
    sessionsPerDay: model.sessions * MEAN_SESSIONS_PER_DAY * Math.exp(0.7 * rng.normal() - 0.245),
    skipBase: Math.min(0.95, Math.max(0.02, model.skipBase + 0.08 * rng.normal() * Math.min(1, model.skipBase * 3))),
    genres,
    favorites: new Set(favoriteList.map((s) => s.songId)),
    favoriteList,
    isoTs: rng.chance(0.1),
    habit,
  }
}

export function rhythmAt(l: Listener, t: number): number {
  const localHour = Math.floor(((((t + l.utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS)
  return (HABIT_MODEL[l.habit].night ? NIGHT_RHYTHM : HOURLY_RHYTHM)[localHour]!
}

/** The next session start after t: a Poisson process thinned by the local hour's rhythm. */
export function nextSessionStart(l: Listener, t: number, rng: Random): number {
  // Thinned by the listener's own rhythm (both peak at 1.9), so sessionsPerDay holds for night listeners too.
  const meanGapAtPeak =
    (DAY_MS / l.sessionsPerDay) * ((HABIT_MODEL[l.habit].night ? NIGHT_MEAN : RHYTHM_MEAN) / RHYTHM_MAX)
  let candidate = t
  for (let i = 0; i < 10_000; i++) {
    candidate += rng.exp(meanGapAtPeak)
    if (rng.next() * RHYTHM_MAX < rhythmAt(l, candidate)) return Math.round(candidate)
  }
  return Math.round(candidate)
}

/** Whether a listener is mid-session when the simulation starts, so even a 90 s run has activity. */
export function activeAtStart(l: Listener, t: number, rng: Random): boolean {
  const sessionMs = MEAN_SONGS_PER_SESSION * 215_000
  const share = ((l.sessionsPerDay * sessionMs) / DAY_MS) * (rhythmAt(l, t) / RHYTHM_MEAN)
  return rng.chance(Math.min(0.9, share))
}

export function chooseSong(l: Listener, chooser: SongChooser, rng: Random): Song {
  const r = rng.next()
  if (r < 0.25) return rng.pick(l.favoriteList)
  if (r < 0.7) return chooser.byGenre.get(rng.pick(l.genres))!.draw(rng)
  return chooser.all.draw(rng)
}
