import type { Command } from 'commander'
import { buildArchiver } from '../../batch-layer/archiver/index.ts'
import { loadCatalog } from '../../shared/catalog-store.ts'
import { loadConfig } from '../../shared/config.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'
import { createRegistry } from '../../shared/telemetry.ts'

export function registerArchive(program: Command): void {
  program.command('archive').description('archive the topic to hourly Parquet files in the lake (runs until stopped)')
    .option('--drain', 'archive everything up to the current end of the log, open hours included, and exit')
    .action(async (opts: { drain?: boolean }) => {
      const config = loadConfig()
      const log = createLogger({ level: config.logLevel, name: 'archiver', format: config.logFormat })
      const lake = openLake(config, log)
      const catalog = await loadCatalog(config, lake)
      const archiver = buildArchiver(config, { catalog, lake, log, registry: createRegistry() })
      try {
        if (opts.drain) {
          const s = await archiver.drain()
          console.log(`archived ${s.rows} events in ${s.files} files, ${s.deadLetters} dead letters, in ${(s.durationMs / 1000).toFixed(1)} s`)
          for (const p of s.partitions) {
            console.log(`  partition ${p.partition}: next offset ${p.nextOffset}, hours closed through ${new Date(p.closedThrough).toISOString()}`)
          }
          return
        }
        await archiver.start()
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve)
          process.once('SIGTERM', resolve)
        })
      } finally {
        await archiver.stop()
        lake.close()
      }
    })
}
