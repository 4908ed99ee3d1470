/**
 * The heavy part of a run, in DuckDB: read the archive files that hold the days to recompute (one scan, pushed
 * down to Parquet row groups by `ts`), drop duplicate eventIds, aggregate every grouped view in one pass, and
 * write one Parquet file per view and day to a local folder.
 *
 * Deduplication keeps, for each event_id, the copy that arrived first (ties broken by partition and offset, a
 * total order). Duplicates are rare, so candidates are found by a 64-bit hash of event_id; only rows whose hash
 * occurs twice go through the exact, costlier row_number() pass, the rest are aggregated straight from Parquet.
 * Copies of one event carry the same `ts` (a retry resends the same event), so they fall on the same day.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { fileList, quoteLiteral } from '../../shared/duckdb.ts'
import { dayStartMs, requireDay } from '../../shared/day.ts'
import { BATCH_VIEW_NAMES } from '../../shared/views.ts'
import { EVENT_DAY_SQL, breakdownAggregateSql, groupedAggregateSql, viewDaySql, withProfilesSql } from './views-sql.ts'

const COLUMNS = 'ts, song_id, artist_id, user_id, type, ms_played, device, country'
const ARTIST_SET = 0b1011

export interface ComputeResult {
  rowsRead: number
  duplicatesDropped: number
  /** view → day → local Parquet file. */
  files: Record<string, Record<string, string>>
}

function dayRangeFilter(days: readonly string[]): string {
  const sorted = [...days].sort()
  const first = requireDay(sorted[0]!, 'day')
  const last = requireDay(sorted[sorted.length - 1]!, 'day')
  const instant = (day: number): string => new Date(dayStartMs(day)).toISOString()
  // The range comparison on ts is what DuckDB pushes into the Parquet reader; the IN list makes it exact.
  const range = `ts >= TIMESTAMPTZ ${quoteLiteral(instant(first))} AND ts < TIMESTAMPTZ ${quoteLiteral(instant(last + 1))}`
  const contiguous = last - first + 1 === sorted.length
  return contiguous ? range : `${range} AND ${EVENT_DAY_SQL} IN (${sorted.map((d) => `DATE ${quoteLiteral(d)}`).join(', ')})`
}

async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql)
  return Number(r.getRows()[0]?.[0] ?? 0)
}

export async function computeViews(conn: DuckDBConnection, opts: {
  locations: readonly string[]; days: readonly string[]; outDir: string
  /** The listener profiles' location (catalog/listeners.parquet), if the lake has them. */
  listeners?: string
  onWrite?: (done: number, total: number) => void
}): Promise<ComputeResult> {
  const files: Record<string, Record<string, string>> = {}
  if (opts.days.length === 0 || opts.locations.length === 0) return { rowsRead: 0, duplicatesDropped: 0, files }
  await conn.run(`CREATE OR REPLACE TEMP VIEW batch_src AS
    SELECT * FROM read_parquet(${fileList(opts.locations)}) WHERE ${dayRangeFilter(opts.days)}`)
  await conn.run(`CREATE OR REPLACE TEMP TABLE batch_dup_hashes AS
    SELECT hash(event_id) AS h FROM batch_src GROUP BY 1 HAVING count(*) > 1`)
  await conn.run(`CREATE OR REPLACE TEMP TABLE batch_dups AS
    SELECT s.* FROM batch_src s SEMI JOIN batch_dup_hashes d ON hash(s.event_id) = d.h`)
  const deduped = `(
    SELECT ${EVENT_DAY_SQL} AS day, ${COLUMNS} FROM batch_src s ANTI JOIN batch_dup_hashes d ON hash(s.event_id) = d.h
    UNION ALL
    SELECT ${EVENT_DAY_SQL} AS day, ${COLUMNS} FROM batch_dups
      QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY arrived_at, kafka_partition, kafka_offset) = 1
  )`
  await conn.run(`CREATE OR REPLACE TEMP TABLE batch_agg AS ${groupedAggregateSql(deduped)}`)
  const listeners = opts.listeners === undefined ? undefined : `read_parquet(${quoteLiteral(opts.listeners)})`
  await conn.run(`CREATE OR REPLACE TEMP TABLE batch_agg_dims AS ${breakdownAggregateSql(withProfilesSql(deduped, listeners))}`)
  const counted = await scalar(conn, `SELECT coalesce(sum(events), 0) FROM batch_agg WHERE g = ${ARTIST_SET}`)
  const duplicatesDropped = await scalar(conn, `SELECT count(*) - count(DISTINCT event_id) FROM batch_dups`)

  const present = (await conn.runAndReadAll(`SELECT DISTINCT CAST(day AS VARCHAR) FROM batch_agg ORDER BY 1`))
    .getRows().map((r) => String(r[0]))
  const total = present.length * BATCH_VIEW_NAMES.length
  let done = 0
  for (const view of BATCH_VIEW_NAMES) {
    const dir = path.join(opts.outDir, view)
    await fsp.mkdir(dir, { recursive: true })
    files[view] = {}
    for (const day of present) {
      const file = path.join(dir, `day=${day}.parquet`)
      await conn.run(`COPY (${viewDaySql(view, 'batch_agg', day)}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`)
      files[view][day] = file
      opts.onWrite?.(++done, total)
    }
  }
  for (const t of ['batch_agg', 'batch_agg_dims', 'batch_dups', 'batch_dup_hashes']) await conn.run(`DROP TABLE IF EXISTS ${t}`)
  return { rowsRead: counted + duplicatesDropped, duplicatesDropped, files }
}
