import type { Registry } from 'prom-client'
import type { Catalog } from '../../shared/catalog/catalog.ts'
import type { DeadLetterStatus } from '../../shared/dlq.ts'
import type { Lake } from '../../shared/lake.ts'
import type { Logger } from '../../shared/logger.ts'

export interface ArchiverDeps {
  /** Only for validation (unknown songs go to the DLQ) and the artist_id column. */
  catalog: Catalog
  lake: Lake
  log: Logger
  registry: Registry
}

export interface PartitionSummary {
  partition: number
  nextOffset: string
  closedThrough: number
}

/** Partitions of the topic another member of the archiver group holds: a drain cannot archive them. */
export interface HeldElsewhere {
  partitions: number[]
  members: Array<{ memberId: string; clientId: string; host: string; partitions: number[] }>
}

export interface DrainSummary {
  /** Events files written by this process so far. */
  files: number
  rows: number
  /** Dead letters kept by this process so far (acknowledged by the DLQ, or written to the lake). */
  deadLetters: number
  durationMs: number
  /** The partitions this member drained. */
  partitions: PartitionSummary[]
  /** The partitions it did not, because another member of the group holds them (empty when it holds them all). */
  elsewhere: HeldElsewhere
}

export interface Archiver {
  /** Joins the consumer group and archives continuously until `stop()`. */
  start(): Promise<void>
  /** Open files are dropped, not written: their messages are read again from the committed offsets next time. */
  stop(): Promise<void>
  /**
   * Archives everything up to the end offsets seen when called, open hours included, of every partition this member
   * is assigned, publishes their progress, and resolves (starting the archiver first if needed; it keeps running
   * afterwards). Partitions another member holds are named in `elsewhere`, not waited for. Rejects with
   * PLAYCOUNT_DRAIN_INCOMPLETE when stopped first or never assigned partitions.
   */
  drain(): Promise<DrainSummary>
  /** Dead letters pending, delivered, kept in the lake, and DLQ failures (GET /v1/status). */
  deadLetterStatus(): DeadLetterStatus
}
