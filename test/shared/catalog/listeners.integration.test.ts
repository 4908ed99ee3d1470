import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  generateListeners,
  listenerId,
  loadListeners,
  readListenersFile,
  writeListeners,
} from '../../../shared/catalog/listeners.ts'
import { openLake } from '../../../shared/lake.ts'
import { testConfig, testS3Config } from '../../helpers.ts'
import { createListener, SongChooser } from '../../../tools/simulator/listeners.ts'
import { generateCatalog } from '../../../shared/catalog/generate.ts'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import { createRandom } from '../../../shared/random.ts'

const HEADER = 'user_id,country,birth_year,gender,tier,signup_date'

function csv(dir: string, lines: string[]): string {
  const file = path.join(dir, 'profiles.csv')
  fs.writeFileSync(file, [HEADER, ...lines].join('\n') + '\n')
  return file
}

describe('listener profiles', () => {
  it.each([
    ['a local folder', false],
    ['S3', true],
  ])('round-trip through catalog/listeners.parquet in %s', async (_n, s3) => {
    const config = s3 ? await testS3Config() : testConfig()
    const lake = openLake(config)
    try {
      expect(await loadListeners(config, lake)).toEqual([])
      const profiles = generateListeners({ listeners: 500, seed: 4 })
      await writeListeners(config, lake, profiles)
      expect(await loadListeners(config, lake)).toEqual(profiles)
      expect(new Set(profiles.map((p) => p.tier))).toEqual(new Set(['free', 'premium']))
      expect(profiles.some((p) => p.birthYear === null) && profiles.some((p) => p.gender === 'unspecified')).toBe(true)
    } finally {
      lake.close()
    }
  })

  it("generated profiles carry the ids of the simulator's listeners", () => {
    const g = generateCatalog({ artists: 10, songs: 50, seed: 1 })
    const chooser = new SongChooser(new Catalog(g.artists, g.songs))
    const profiles = generateListeners({ listeners: 3000, seed: 1 })
    const rng = createRandom(9)
    for (const i of [0, 1, 2999]) expect(createListener(i, 3000, rng, chooser).userId).toBe(profiles[i]!.userId)
    expect(listenerId(0, 3000)).toBe('user-000001')
  })

  it('imports a CSV file; empty gender is unspecified, empty country and birth year unknown', async () => {
    const config = testConfig()
    const file = csv(config.home, ['u1,SE,1990,female,premium,2020-01-02', 'u2,,,,free,'])
    expect(await readListenersFile(config, file)).toEqual([
      { userId: 'u1', country: 'SE', birthYear: 1990, gender: 'female', tier: 'premium', signupDate: '2020-01-02' },
      { userId: 'u2', country: null, birthYear: null, gender: 'unspecified', tier: 'free', signupDate: null },
    ])
  })

  it.each([
    [['u1,SE,1990,female,gold,2020-01-02'], /row 1, column tier: "gold" is not one of free, premium/],
    [
      ['u1,SE,1990,female,free,', 'u2,Sweden,1990,male,free,'],
      /row 2, column country: "Sweden" is not two capital letters/,
    ],
    [['u1,SE,19x0,female,free,'], /row 1, column birth_year: "19x0"/],
    [['u1,SE,1990,woman,free,'], /row 1, column gender: "woman" is not one of female, male, non-binary, unspecified/],
    [['u1,SE,1990,male,free,2023-02-29'], /row 1, column signup_date/],
    [['u1,SE,1990,male,free,', 'u1,DE,1991,male,free,'], /row 2, column user_id: "u1" is not unique/],
    [['bad id,SE,1990,male,free,'], /row 1, column user_id/],
  ])('refuses a bad value, naming its row and column (%#)', async (lines, message) => {
    const config = testConfig()
    await expect(readListenersFile(config, csv(config.home, lines))).rejects.toMatchObject({
      code: 'PLAYCOUNT_LISTENERS_INVALID',
      message,
    })
  })

  it('refuses a file without a required column, naming it', async () => {
    const config = testConfig()
    const file = path.join(config.home, 'p.csv')
    fs.writeFileSync(file, 'user_id,country,birth_year,gender,signup_date\nu1,SE,1990,male,\n')
    await expect(readListenersFile(config, file)).rejects.toMatchObject({
      code: 'PLAYCOUNT_LISTENERS_INVALID',
      message: /has no column tier/,
    })
  })
})
