import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeCatalog } from '../../shared/catalog/generate.ts'
import { openLake } from '../../shared/lake.ts'
import { childEnv, CliProcess } from '../cli/cli-process.ts'
import { testConfig } from '../helpers.ts'
import { ARTISTS, SONGS, setupTopic } from './fixtures.ts'

describe('playcount start speed with a bad rules file (real process)', () => {
  it('stops at start, exit 1, naming the file, the rule and the field', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '1' })
    await setupTopic(config)
    const lake = openLake(config)
    await writeCatalog(config, lake, { artists: ARTISTS, songs: SONGS }).finally(() => lake.close())
    const file = path.join(config.home, 'rules.json')
    fs.writeFileSync(
      file,
      JSON.stringify({
        rules: [
          { name: 'repeat-play', type: 'play', threshold: 3, window: '30m' },
          { name: 'binge', type: 'play', threshold: 0, window: '1h' },
        ],
      }),
    )
    const cli = new CliProcess(['start', 'speed'], childEnv(config, { SIGNAL_RULES_FILE: file }))
    expect(await cli.exit()).toBe(1)
    expect(cli.stderr).toContain(
      `PLAYCOUNT_SIGNAL_RULES_INVALID: Invalid interest rules in ${file}: rule 1 (binge): field "threshold" must be an integer, >= 2`,
    )
  })
})
