/**
 * The heavy part of a run, in DuckDB: read the archive files that hold the days to recompute (one scan, pushed
 * down to Parquet row groups by `ts`), drop duplicate eventIds, aggregate every grouped view in one pass into
 * `batch_agg`, and write one Parquet file per view and day to a local folder. The SQL is views-sql.ts's, compiled
 * for DuckDB; a sharded run (shards.ts) builds `batch_agg` from the shards' partial aggregates instead.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { fileList, quoteLiteral } from '../../shared/duckdb.ts'
import { BATCH_VIEW_NAMES } from '../../shared/views.ts'
import { DUCKDB } from './sql-dialect.ts'
import { batchJobSql, viewSql } from './views-sql.ts'

export interface AggregateResult {
  rowsRead: number
  duplicatesDropped: number
}

export interface ComputeResult extends AggregateResult {
  /** view → day → local Parquet file. */
  files: Record<string, Record<string, string>>
}

export async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql)
  return Number(r.getRows()[0]?.[0] ?? 0)
}

/**
 * Builds the temp table `batch_agg` from the archive files, with the listener profiles' location (catalog/listeners)
 * if the lake has them; `days` must not be empty.
 */
export async function aggregateEvents(
  conn: DuckDBConnection,
  locations: readonly string[],
  days: readonly string[],
  listeners?: string,
): Promise<AggregateResult> {
  const profiles = listeners === undefined ? undefined : `read_parquet(${quoteLiteral(listeners)})`
  const job = batchJobSql(DUCKDB, `read_parquet(${fileList(locations)})`, days, profiles)
  for (const statement of job.statements) await conn.run(statement)
  const counted = await scalar(conn, job.countedSql)
  const duplicatesDropped = await scalar(conn, job.duplicatesSql)
  for (const t of ['batch_dups', 'batch_dup_hashes']) await conn.run(`DROP TABLE IF EXISTS ${t}`)
  return { rowsRead: counted + duplicatesDropped, duplicatesDropped }
}

/** Writes every view's day files from `batch_agg`, one COPY per (view, day). */
export async function writeViewFiles(
  conn: DuckDBConnection,
  outDir: string,
  onWrite?: (done: number, total: number) => void,
): Promise<ComputeResult['files']> {
  const files: ComputeResult['files'] = {}
  const present = (await conn.runAndReadAll(`SELECT DISTINCT CAST(day AS VARCHAR) FROM batch_agg ORDER BY 1`))
    .getRows()
    .map((r) => String(r[0]))
  const total = present.length * BATCH_VIEW_NAMES.length
  let done = 0
  for (const view of BATCH_VIEW_NAMES) {
    const dir = path.join(outDir, view)
    await fsp.mkdir(dir, { recursive: true })
    files[view] = {}
    for (const day of present) {
      const file = path.join(dir, `day=${day}.parquet`)
      await conn.run(
        `COPY (${viewSql(view, 'batch_agg', day)}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
      )
      files[view][day] = file
      onWrite?.(++done, total)
    }
  }
  await conn.run('DROP TABLE IF EXISTS batch_agg')
  return files
}

export async function computeViews(
  conn: DuckDBConnection,
  opts: {
    locations: readonly string[]
    days: readonly string[]
    outDir: string
    /** Where catalog/listeners is, if the lake has it. */
    listeners?: string
    onWrite?: (done: number, total: number) => void
  },
): Promise<ComputeResult> {
  if (opts.days.length === 0 || opts.locations.length === 0) return { rowsRead: 0, duplicatesDropped: 0, files: {} }
  const counts = await aggregateEvents(conn, opts.locations, opts.days, opts.listeners)
  return { ...counts, files: await writeViewFiles(conn, opts.outDir, opts.onWrite) }
}
