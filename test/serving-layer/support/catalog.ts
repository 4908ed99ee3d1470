/** Writes the small default catalog into a test's lake, as `playcount demo` does, before a pipeline loads it. */
import type { Config } from '../../../shared/config.ts'
import { ensureCatalog } from '../../../shared/catalog/default.ts'
import { openLake } from '../../../shared/lake.ts'
import { createLogger } from '../../../shared/logger.ts'

export async function writeDefaultCatalog(config: Readonly<Config>): Promise<void> {
  const log = createLogger({ level: 'silent' })
  const lake = openLake(config, log)
  try {
    await ensureCatalog(config, lake, log)
  } finally {
    lake.close()
  }
}
