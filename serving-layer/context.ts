/** What the report routes read: the catalog, the current batch snapshot and the realtime views. */
import type { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import type { DeadLetterStatus } from '../shared/dlq.ts'
import type { BatchViews } from './batch/batch-views.ts'
import type { NamedView } from './realtime/fan-out.ts'

export interface ServingContext {
  config: Readonly<Config>
  catalog: Catalog
  batch: BatchViews
  realtime: readonly NamedView[]
  /** The in-process archiver's dead letters, when this process runs one. */
  deadLetters?: () => DeadLetterStatus
  /** The clock for default ranges (epoch ms). */
  now: () => number
}
