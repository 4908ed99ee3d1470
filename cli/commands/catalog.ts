import type { Command } from 'commander'
import { generateCatalog, writeCatalog } from '../../shared/catalog/generate.ts'
import { DEFAULT_LISTENERS, ensureCatalog } from '../../shared/catalog/default.ts'
import {
  LISTENER_COLUMNS,
  generateListeners,
  readListenersFile,
  writeListeners,
} from '../../shared/catalog/listeners.ts'
import { loadConfig } from '../../shared/config.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'
import { Errors } from '../../shared/errors.ts'

function positiveInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0)
      throw new Errors.BAD_REQUEST(`--${name} must be a non-negative integer, got ${v}`)
    return n
  }
}

export function registerCatalog(program: Command): void {
  const catalog = program.command('catalog').description("the artists and songs in the lake's catalog/")
  catalog
    .command('generate')
    .description('generate a synthetic catalog (realistic names, Zipf-like popularity) and write it as Parquet')
    .option('--artists <n>', 'number of artists', positiveInt('artists'), 200)
    .option('--songs <n>', 'number of songs', positiveInt('songs'), 2000)
    .option(
      '--listeners <n>',
      "listener profiles (ids user-000001..., as the simulator's listeners)",
      positiveInt('listeners'),
      DEFAULT_LISTENERS,
    )
    .option('--seed <n>', 'seed: the same seed gives the same catalog', positiveInt('seed'), 42)
    .action(async (o: { artists: number; songs: number; listeners: number; seed: number }) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        const t0 = Date.now()
        const generated = generateCatalog(o)
        await writeCatalog(config, lake, generated)
        await writeListeners(config, lake, generateListeners({ listeners: o.listeners, seed: o.seed }))
        console.log(
          `wrote ${generated.artists.length} artists, ${generated.songs.length} songs and ${o.listeners} listener profiles to ${lake.location('catalog/')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        )
      } finally {
        lake.close()
      }
    })
  const listeners = catalog.command('listeners').description('listener profiles: catalog/listeners.parquet')
  listeners
    .command('import')
    .description(
      `replace the lake's listener profiles with a Parquet or CSV file (header row) with the columns:
${LISTENER_COLUMNS.map(([c, rule]) => `  ${c}: ${rule}`).join('\n')}
A bad value stops the import with PLAYCOUNT_LISTENERS_INVALID naming its row and column; nothing is written then.`,
    )
    .argument('<file>', 'a .parquet or .csv file')
    .action(async (file: string) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        const profiles = await readListenersFile(config, file)
        await writeListeners(config, lake, profiles)
        console.log(`wrote ${profiles.length} listener profiles to ${lake.location('catalog/listeners.parquet')}`)
      } finally {
        lake.close()
      }
    })
  catalog
    .command('search')
    .description('search artists and songs by name (creates the default catalog if there is none)')
    .argument('<q>', 'part of a name')
    .option('--limit <n>', 'at most this many hits', positiveInt('limit'), 20)
    .action(async (q: string, o: { limit: number }) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        const cat = await ensureCatalog(
          config,
          lake,
          createLogger({ level: config.logLevel, name: 'catalog', format: config.logFormat }),
        )
        const hits = cat.search(q, o.limit)
        for (const h of hits) {
          const extra =
            h.kind === 'song' ? `  by ${h.artistName ?? ''} (#${cat.songs.get(h.id)?.popularityRank ?? '?'})` : ''
          console.log(`${h.kind.padEnd(6)} ${h.id.padEnd(12)} ${h.name}${extra}`)
        }
        if (hits.length === 0) console.log(`no artist or song matches "${q}"`)
      } finally {
        lake.close()
      }
    })
}
