import { describe, expect, it } from 'vitest'
import { ensureCatalog } from '../../../shared/catalog/default.ts'
import { generateCatalog, writeCatalog } from '../../../shared/catalog/generate.ts'
import { loadCatalog } from '../../../shared/catalog/store.ts'
import { openLake } from '../../../shared/lake.ts'
import { CATALOG_ARTISTS_KEY, CATALOG_SONGS_KEY } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { testConfig, testS3Config } from '../../helpers.ts'

const log = createLogger({ level: 'silent' })

describe('the catalog in the lake', () => {
  it.each([
    ['a local folder', false],
    ['S3', true],
  ])('round-trips through Parquet in %s', async (_name, s3) => {
    const config = s3 ? await testS3Config() : testConfig()
    const lake = openLake(config)
    try {
      const generated = generateCatalog({ artists: 50, songs: 400, seed: 3 })
      await writeCatalog(config, lake, generated)
      expect(await lake.list('catalog/')).toEqual([CATALOG_ARTISTS_KEY, CATALOG_SONGS_KEY])
      const catalog = await loadCatalog(config, lake)
      expect([...catalog.artists.values()]).toEqual(generated.artists)
      expect([...catalog.songs.values()]).toEqual(generated.songs)
      const song = generated.songs[17]!
      expect(catalog.artistOf(song.songId)).toBe(song.artistId)
      expect(catalog.search(song.title.slice(0, 6)).some((h) => h.id === song.songId)).toBe(true)
    } finally {
      lake.close()
    }
  })

  it('refuses to load a missing catalog, and ensureCatalog creates the default one once', async () => {
    const config = testConfig()
    const lake = openLake(config)
    await expect(loadCatalog(config, lake)).rejects.toMatchObject({ code: 'PLAYCOUNT_CATALOG_MISSING' })
    const first = await ensureCatalog(config, lake, log)
    expect(first.artists.size).toBe(200)
    expect(first.songs.size).toBe(2000)
    const before = (await lake.get(CATALOG_SONGS_KEY))!
    const again = await ensureCatalog(config, lake, log)
    expect(again.songs.size).toBe(2000)
    expect((await lake.get(CATALOG_SONGS_KEY))!.equals(before)).toBe(true)
  })
})
