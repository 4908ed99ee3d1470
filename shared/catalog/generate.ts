/**
 * A synthetic catalog: artists and songs with realistic names (a seeded Faker), genres, durations and a Zipf-like
 * popularity. Popular artists have more songs and their songs rank higher, as on a real service.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Faker, en } from '@faker-js/faker'
import type { Artist, Song } from './catalog.ts'
import type { Config } from '../config.ts'
import { openDuck, quoteLiteral } from '../duckdb.ts'
import type { Lake } from '../lake.ts'
import { CATALOG_ARTISTS_KEY, CATALOG_SONGS_KEY } from '../layout.ts'
import { createRandom, subSeed, WeightedTable, zipfWeights, type Random } from '../random.ts'

export interface CatalogSpec {
  artists: number
  songs: number
  seed: number
}
export interface GeneratedCatalog {
  artists: Artist[]
  songs: Song[]
}

/** Genre, share of artists, typical song length in seconds. */
const GENRES: ReadonlyArray<readonly [string, number, number]> = [
  ['pop', 22, 200],
  ['hip hop', 16, 190],
  ['rock', 12, 230],
  ['electronic', 9, 260],
  ['r&b', 7, 210],
  ['latin', 7, 205],
  ['indie', 6, 220],
  ['country', 5, 200],
  ['k-pop', 4, 195],
  ['metal', 3, 290],
  ['jazz', 3, 320],
  ['classical', 2, 420],
  ['folk', 2, 230],
  ['reggae', 1, 235],
  ['soul', 1, 225],
]
const COUNTRIES: ReadonlyArray<readonly [string, number]> = [
  ['US', 30],
  ['GB', 10],
  ['DE', 6],
  ['FR', 5],
  ['SE', 4],
  ['CA', 4],
  ['BR', 6],
  ['MX', 4],
  ['KR', 4],
  ['JP', 3],
  ['ES', 3],
  ['IT', 3],
  ['AU', 3],
  ['NL', 2],
  ['NG', 3],
  ['IN', 4],
  ['CO', 2],
  ['PR', 2],
  ['JM', 1],
  ['IE', 1],
]
const LIMIT_ARTISTS = 1_000_000
const LIMIT_SONGS = 20_000_000

function titleCase(s: string): string {
  return s.replace(/\b\p{L}/gu, (c) => c.toUpperCase())
}

function artistName(f: Faker, rng: Random): string {
  const r = rng.next()
  if (r < 0.35) return f.person.fullName()
  if (r < 0.55) return titleCase(`the ${f.word.adjective()} ${f.word.noun()}s`)
  if (r < 0.65) return `${f.person.firstName()} & the ${titleCase(f.word.noun())}s`
  if (r < 0.75) return `${rng.pick(['DJ', 'Lil', 'MC', 'Young', 'Big'])} ${f.person.firstName()}`
  if (r < 0.85) return titleCase(`${f.word.noun()} ${f.word.noun()}`)
  return f.music.artist()
}

function songTitle(f: Faker, rng: Random): string {
  const r = rng.next()
  if (r < 0.25) return f.music.songName()
  if (r < 0.5) return titleCase(`${f.word.adjective()} ${f.word.noun()}`)
  if (r < 0.62) return titleCase(`${f.word.noun()} of the ${f.word.noun()}`)
  if (r < 0.74) return titleCase(`${f.word.verb()} me ${f.word.adverb()}`)
  if (r < 0.86) return titleCase(`the ${f.word.noun()}`)
  return titleCase(`${f.word.verb()} ${f.word.preposition()} the ${f.word.noun()}`)
}

function pad(i: number, width: number): string {
  return String(i).padStart(width, '0')
}

export function generateCatalog(spec: CatalogSpec): GeneratedCatalog {
  if (!Number.isInteger(spec.artists) || spec.artists < 1 || spec.artists > LIMIT_ARTISTS)
    throw new RangeError(`artists must be 1..${LIMIT_ARTISTS}`)
  if (!Number.isInteger(spec.songs) || spec.songs < spec.artists || spec.songs > LIMIT_SONGS)
    throw new RangeError(`songs must be artists..${LIMIT_SONGS}`)
  const rng = createRandom(subSeed(spec.seed, 'catalog'))
  const faker = new Faker({ locale: [en] })
  faker.seed(spec.seed)
  const genres = new WeightedTable(
    GENRES,
    GENRES.map((g) => g[1]),
  )
  const countries = new WeightedTable(
    COUNTRIES.map((c) => c[0]),
    COUNTRIES.map((c) => c[1]),
  )
  const aw = Math.max(6, String(spec.artists).length)
  const sw = Math.max(7, String(spec.songs).length)

  const artistGenre: Array<readonly [string, number, number]> = []
  const artists: Artist[] = []
  for (let i = 1; i <= spec.artists; i++) {
    const g = genres.draw(rng)
    artistGenre.push(g)
    artists.push({
      artistId: `ar-${pad(i, aw)}`,
      name: artistName(faker, rng),
      genre: g[0],
      country: countries.draw(rng),
    })
  }

  // Every artist has at least one song; the rest go to artists by a Zipf law over a shuffled order, so a few
  // artists have large catalogues. An artist's "star power" then lifts its songs' popularity.
  const order = artists.map((_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const artistWeights = zipfWeights(spec.artists, 0.9)
  const star = new Float64Array(spec.artists)
  order.forEach((a, rank) => {
    star[a] = artistWeights[rank]!
  })
  const owner = new WeightedTable(order, artistWeights)
  const songArtist: number[] = artists.map((_, i) => i)
  for (let i = spec.artists; i < spec.songs; i++) songArtist.push(owner.draw(rng))

  const songs: Array<Song & { score: number }> = songArtist.map((a, i) => {
    const [genre, , typicalS] = artistGenre[a]!
    const durationMs = Math.round(Math.min(900, Math.max(45, typicalS * Math.exp(0.25 * rng.normal()))) * 1000)
    return {
      songId: `so-${pad(i + 1, sw)}`,
      artistId: artists[a]!.artistId,
      title: songTitle(faker, rng),
      genre,
      durationMs,
      popularityRank: 0,
      score: Math.log(star[a]!) + 1.2 * rng.normal(),
    }
  })
  const ranked = [...songs].sort((x, y) => y.score - x.score || (x.songId < y.songId ? -1 : 1))
  ranked.forEach((s, i) => {
    s.popularityRank = i + 1
  })
  return { artists, songs: songs.map(({ score: _score, ...s }) => s) }
}

/** Writes catalog/artists.parquet and catalog/songs.parquet (zstd) to the lake, each appearing whole. */
export async function writeCatalog(config: Readonly<Config>, lake: Lake, catalog: GeneratedCatalog): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-catalog-'))
  const duck = await openDuck(config, { threads: 1 })
  try {
    const tables = [
      {
        name: 'artists',
        key: CATALOG_ARTISTS_KEY,
        rows: catalog.artists,
        ddl: 'artist_id VARCHAR, name VARCHAR, genre VARCHAR, country VARCHAR',
        order: 'artist_id',
      },
      {
        name: 'songs',
        key: CATALOG_SONGS_KEY,
        rows: catalog.songs,
        ddl: 'song_id VARCHAR, artist_id VARCHAR, title VARCHAR, genre VARCHAR, duration_ms INTEGER, popularity_rank INTEGER',
        order: 'song_id',
      },
    ] as const
    for (const t of tables) {
      const json = path.join(dir, `${t.name}.ndjson`)
      const parquet = path.join(dir, `${t.name}.parquet`)
      fs.writeFileSync(json, t.rows.map((r) => JSON.stringify(toRow(r))).join('\n') + '\n')
      const columns = `{${t.ddl
        .split(', ')
        .map((c) => {
          const [n, ty] = c.split(' ')
          return `${quoteLiteral(n!)}: ${quoteLiteral(ty!)}`
        })
        .join(', ')}}`
      await duck.conn
        .run(`COPY (SELECT * FROM read_json(${quoteLiteral(json)}, format = 'newline_delimited', columns = ${columns}) ORDER BY ${t.order})
        TO ${quoteLiteral(parquet)} (FORMAT parquet, COMPRESSION zstd)`)
      await lake.putFile(t.key, parquet)
    }
  } finally {
    duck.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** camelCase record to the snake_case columns of the lake. */
function toRow(r: Artist | Song): Record<string, unknown> {
  if ('songId' in r) {
    return {
      song_id: r.songId,
      artist_id: r.artistId,
      title: r.title,
      genre: r.genre,
      duration_ms: r.durationMs,
      popularity_rank: r.popularityRank,
    }
  }
  return { artist_id: r.artistId, name: r.name, genre: r.genre, country: r.country }
}
