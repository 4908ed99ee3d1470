/** The small catalog created on first start, so a new user needs no setup step. */
import type { Catalog } from './catalog.ts'
import { hasCatalog, loadCatalog } from './store.ts'
import type { Config } from '../config.ts'
import type { Lake } from '../lake.ts'
import type { Logger } from '../logger.ts'
import { generateCatalog, writeCatalog, type CatalogSpec } from './generate.ts'

export const DEFAULT_CATALOG: Readonly<CatalogSpec> = Object.freeze({ artists: 200, songs: 2000, seed: 42 })

/** Loads the lake's catalog, writing the default one first when the lake has none. */
export async function ensureCatalog(config: Readonly<Config>, lake: Lake, log: Logger): Promise<Catalog> {
  if (!(await hasCatalog(lake))) {
    const t0 = Date.now()
    await writeCatalog(config, lake, generateCatalog(DEFAULT_CATALOG))
    log.info({ ...DEFAULT_CATALOG, ms: Date.now() - t0, at: lake.location('catalog/') }, 'created the default catalog')
  }
  return loadCatalog(config, lake)
}
