/**
 * Which engine computes a run's views: DuckDB in this process, DuckDB split into shard processes, or Spark. Each
 * returns the same day files in a local folder; run.ts plans the run before and publishes after, the same way for
 * all of them, so the manifest and the view files do not say which engine ran (the run history does).
 */
import type { DuckDBConnection } from '@duckdb/node-api'
import type { BatchEngine, Config } from '../../shared/config.ts'
import type { Lake } from '../../shared/lake.ts'
import { CATALOG_LISTENERS_KEY } from '../../shared/layout.ts'
import { computeViews, type ComputeResult } from './compute.ts'
import { computeSharded } from './shards.ts'
import { computeViewsOnSpark } from './spark-engine.ts'
import type { BatchProgress } from './types.ts'

export interface EngineRun {
  engine: BatchEngine
  shards: number
  runId: string
  /** Archive keys to read and the event days to recompute. */
  keys: readonly string[]
  days: readonly string[]
  outDir: string
  remoteShardsMs?: number
  onProgress?: (p: BatchProgress) => void
}

export async function computeWithEngine(
  config: Readonly<Config>,
  lake: Lake,
  conn: DuckDBConnection,
  run: EngineRun,
): Promise<ComputeResult> {
  if (run.engine === 'spark') return computeViewsOnSpark(config, lake, conn, run)
  if (run.shards > 1) return computeSharded(config, lake, conn, run)
  return computeViews(conn, {
    locations: run.keys.map((k) => lake.location(k)),
    days: run.days,
    outDir: run.outDir,
    ...((await lake.exists(CATALOG_LISTENERS_KEY)) ? { listeners: lake.location(CATALOG_LISTENERS_KEY) } : {}),
    onWrite: (done, total) => run.onProgress?.({ stage: 'aggregate', message: 'writing view files', done, total }),
  })
}
