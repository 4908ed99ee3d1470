/** The nightly batch job's public types: what a run is asked, what it reports while it works, what it returns. */
import type { BatchEngine } from '../../shared/config.ts'
import type { Lake } from '../../shared/lake.ts'
import type { Logger } from '../../shared/logger.ts'

export interface BatchDeps {
  lake: Lake
  log: Logger
}

/** The stages of a run, in order; BATCH_FAILPOINT names one of them for the crash tests. */
export const BATCH_STAGES = ['lock', 'plan', 'index', 'aggregate', 'write', 'manifest', 'cleanup'] as const
export type BatchStage = (typeof BATCH_STAGES)[number]

export interface BatchProgress {
  stage: BatchStage
  message: string
  /** Units done and in total within the stage (files, views), when it counts any. */
  done?: number
  total?: number
}

export interface BatchRunOptions {
  /** Event days (YYYY-MM-DD) to recompute besides those the newly archived hours touch. */
  dates?: string[]
  /** An inclusive range of days to recompute (a backfill). */
  from?: string
  to?: string
  onProgress?: (p: BatchProgress) => void
  /** When another run holds the lock: wait up to this long for it (default: fail at once with BATCH_LOCKED). */
  waitForLockMs?: number
  /** The engine computing the views (default BATCH_ENGINE) and, for DuckDB, its shard processes (default BATCH_SHARDS). */
  engine?: BatchEngine
  shards?: number
  /** Shards are started elsewhere (`playcount batch-shard`, any machine with the lake): wait this long for them. */
  remoteShardsMs?: number
  /** Compute the listener segments of the last complete day after the views (default true). */
  segments?: boolean
  /** What started the run, for the history. */
  trigger?: 'cli' | 'schedule' | 'catch-up' | 'api'
}

export type RunStatus = 'ok' | 'noop' | 'failed'

/** One run, as returned and as kept in the lake's run history (views/history/<runId>.json). */
export interface RunSummary {
  runId: string
  status: RunStatus
  trigger: string
  startedAt: string
  endedAt: string
  durationMs: number
  /** The watermark before and after the run (epoch ms; 0 before the first archived hour). */
  watermarkBefore: number
  watermarkAfter: number
  /** Event days recomputed, sorted. */
  daysRecomputed: string[]
  /** Parquet files of the archive read, and the event rows read from them (before deduplication). */
  filesRead: number
  rowsRead: number
  /** Rows dropped because their eventId was already counted. */
  duplicatesDropped: number
  /** View files written by this run (the others are reused from the previous manifest). */
  filesWritten: number
  /** The engine that computed the views, and the DuckDB shard processes (1: unsplit). */
  engine: BatchEngine
  shards: number
  error?: string
}
