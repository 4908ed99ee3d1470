/**
 * Loads the catalog from the lake's catalog/ Parquet files (snake_case columns) into the in-memory `Catalog`
 * lookup every layer uses.
 */
import { Catalog, type Artist, type Song } from './catalog.ts'
import { loadListeners } from './listeners.ts'
import type { Config } from '../config.ts'
import { openDuck, quoteLiteral } from '../duckdb.ts'
import { Errors } from '../errors.ts'
import type { Lake } from '../lake.ts'
import { CATALOG_ARTISTS_KEY, CATALOG_SONGS_KEY } from '../layout.ts'

export async function hasCatalog(lake: Lake): Promise<boolean> {
  const [a, s] = await Promise.all([lake.exists(CATALOG_ARTISTS_KEY), lake.exists(CATALOG_SONGS_KEY)])
  return a && s
}

/** Throws PLAYCOUNT_CATALOG_MISSING when either file is absent. */
export async function loadCatalog(config: Readonly<Config>, lake: Lake): Promise<Catalog> {
  if (!(await hasCatalog(lake))) throw new Errors.CATALOG_MISSING(lake.location('catalog/'))
  const duck = await openDuck(config, { threads: 1 })
  try {
    const artistRows = await duck.conn.runAndReadAll(
      `SELECT artist_id, name, genre, country FROM read_parquet(${quoteLiteral(lake.location(CATALOG_ARTISTS_KEY))}) ORDER BY artist_id`,
    )
    const artists: Artist[] = artistRows.getRows().map(([artistId, name, genre, country]) => ({
      artistId: String(artistId),
      name: String(name),
      genre: String(genre),
      country: String(country),
    }))
    const songRows = await duck.conn.runAndReadAll(
      `SELECT song_id, artist_id, title, genre, duration_ms, popularity_rank
       FROM read_parquet(${quoteLiteral(lake.location(CATALOG_SONGS_KEY))}) ORDER BY song_id`,
    )
    const songs: Song[] = songRows.getRows().map(([songId, artistId, title, genre, durationMs, popularityRank]) => ({
      songId: String(songId),
      artistId: String(artistId),
      title: String(title),
      genre: String(genre),
      durationMs: Number(durationMs),
      popularityRank: Number(popularityRank),
    }))
    return new Catalog(artists, songs, await loadListeners(config, lake))
  } catch (err) {
    throw new Errors.LAKE_IO(`reading the catalog at ${lake.location('catalog/')}: ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    duck.close()
  }
}
