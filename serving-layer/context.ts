/** What the report routes read: the catalog, the current batch snapshot and the realtime views. */
import type { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import type { DeadLetterStatus } from '../shared/dlq.ts'
import type { BatchViews } from './batch/batch-views.ts'
import type { NamedView } from './realtime/fan-out.ts'
import type { SignalStore } from './signals/signal-store.ts'
import type { ListenerSegments } from './segments/listener-segments.ts'

export interface ServingContext {
  config: Readonly<Config>
  catalog: Catalog
  batch: BatchViews
  realtime: readonly NamedView[]
  /** The in-process archiver's dead letters, when this process runs one. */
  deadLetters?: () => DeadLetterStatus
  /** The interest-list signals read from `<topic>.signals`, and whether the reader follows the topic. */
  signals: { store: SignalStore; live: () => boolean }
  /** The latest listener segments (views/segments/). */
  segments: ListenerSegments
  /** The clock for default ranges (epoch ms). */
  now: () => number
}
