/** The small catalog created on first start, so a new user needs no setup step. */
import type { Catalog } from './catalog.ts'
import { hasCatalog, loadCatalog } from './store.ts'
import type { Config } from '../config.ts'
import type { Lake } from '../lake.ts'
import type { Logger } from '../logger.ts'
import { generateCatalog, writeCatalog, type CatalogSpec } from './generate.ts'
import { generateListeners, writeListeners } from './listeners.ts'
import { CATALOG_LISTENERS_KEY } from '../layout.ts'

export const DEFAULT_CATALOG: Readonly<CatalogSpec> = Object.freeze({ artists: 200, songs: 2000, seed: 42 })
/** Profiles of the default catalog: enough for the demo's simulated audience (ids match the simulator's). */
export const DEFAULT_LISTENERS = 100_000

/** Loads the lake's catalog, writing the default one (and its listener profiles) first when the lake has none. */
export async function ensureCatalog(config: Readonly<Config>, lake: Lake, log: Logger): Promise<Catalog> {
  if (!(await hasCatalog(lake))) {
    const t0 = Date.now()
    await writeCatalog(config, lake, generateCatalog(DEFAULT_CATALOG))
    log.info({ ...DEFAULT_CATALOG, ms: Date.now() - t0, at: lake.location('catalog/') }, 'created the default catalog')
    await writeListeners(config, lake, generateListeners({ listeners: DEFAULT_LISTENERS, seed: DEFAULT_CATALOG.seed }))
  } else if (!(await lake.exists(CATALOG_LISTENERS_KEY))) {
    // A default catalog written before profiles existed: add them, so the demo's breakdowns have listeners.
    await writeListeners(config, lake, generateListeners({ listeners: DEFAULT_LISTENERS, seed: DEFAULT_CATALOG.seed }))
  }
  return loadCatalog(config, lake)
}
