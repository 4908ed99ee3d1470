import type { Registry } from 'prom-client'
import type { Catalog } from '../../shared/catalog/catalog.ts'
import type { Lake } from '../../shared/lake.ts'
import type { Logger } from '../../shared/logger.ts'

export interface ArchiverDeps {
  /** Only for validation (unknown songs go to the DLQ) and the artist_id column. */
  catalog: Catalog
  lake: Lake
  log: Logger
  registry: Registry
}

export interface PartitionSummary { partition: number; nextOffset: string; closedThrough: number }

export interface DrainSummary {
  /** Events files written by this process so far. */
  files: number
  rows: number
  deadLetters: number
  durationMs: number
  partitions: PartitionSummary[]
}

export interface Archiver {
  /** Joins the consumer group and archives continuously until `stop()`. */
  start(): Promise<void>
  /** Open files are dropped, not written: their messages are read again from the committed offsets next time. */
  stop(): Promise<void>
  /**
   * Archives everything up to the end offsets seen when called, open hours included, publishes the progress of
   * every partition, and resolves (starting the archiver first if needed; it keeps running afterwards).
   */
  drain(): Promise<DrainSummary>
}
