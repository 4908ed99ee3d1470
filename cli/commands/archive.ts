import type { Command } from 'commander'
import { buildArchiver } from '../../batch-layer/archiver/index.ts'
import { loadCatalog } from '../../shared/catalog/store.ts'
import { loadConfig } from '../../shared/config.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'
import { createRegistry } from '../../shared/telemetry.ts'

export function registerArchive(program: Command): void {
  program
    .command('archive')
    .description('archive the topic to hourly Parquet files in the lake (runs until stopped)')
    .option('--drain', 'archive everything up to the current end of the log, open hours included, and exit')
    .action(async (opts: { drain?: boolean }) => {
      const config = loadConfig()
      const log = createLogger({ level: config.logLevel, name: 'archiver', format: config.logFormat })
      const lake = openLake(config, log)
      const catalog = await loadCatalog(config, lake)
      const archiver = buildArchiver(config, { catalog, lake, log, registry: createRegistry() })
      // SIGINT/SIGTERM stop the archiver (a drain then rejects with PLAYCOUNT_DRAIN_INCOMPLETE); the stop drops open
      // files and removes the temp folder, and nothing is committed past what is durable.
      const signalled = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      void signalled.then(() => archiver.stop())
      try {
        if (opts.drain) {
          const s = await archiver.drain()
          console.log(
            `archived ${s.rows} events in ${s.files} files, ${s.deadLetters} dead letters, in ${(s.durationMs / 1000).toFixed(1)} s`,
          )
          for (const p of s.partitions) {
            console.log(
              `  partition ${p.partition}: next offset ${p.nextOffset}, hours closed through ${new Date(p.closedThrough).toISOString()}`,
            )
          }
          if (s.elsewhere.partitions.length > 0) {
            // Not an error of this process, but not the whole log either: a script must not take it for a full drain.
            const who = s.elsewhere.members
              .map((m) => `${m.clientId}@${m.host} holds ${m.partitions.join(',')}`)
              .join('; ')
            console.error(
              `partitions ${s.elsewhere.partitions.join(',')} not drained: another archiver of the group holds them (${who || 'member unknown'})`,
            )
            process.exitCode = 3
          }
          return
        }
        await archiver.start()
        await signalled
      } finally {
        await archiver.stop()
        lake.close()
      }
    })
}
