/**
 * What a run must do: the new watermark (every partition's archive complete up to it), the archived files below
 * it, and which event days those files hold. Files are pruned by their keys' arrival hour; the days a file holds
 * come from its Parquet statistics on `ts` and are kept, per run, in a file index, so a file is inspected once in
 * its life (archive files are immutable).
 */
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Config } from '../../shared/config.ts'
import { formatDay, requireDay } from '../../shared/day.ts'
import { fileList } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'
import type { Lake } from '../../shared/lake.ts'
import { archiveProgressKey, parseEventsFileKey, type ArchiveProgress } from '../../shared/layout.ts'
import { runPrefix } from './manifest.ts'
import { EVENT_DAY_SQL } from './views-sql.ts'

/** A backfill longer than this is almost certainly a typo in a year. */
export const MAX_BACKFILL_DAYS = 3660

/** The days a caller asks a run to recompute: --date D (repeatable) and --from D1 --to D2, validated. */
export function requestedDays(opts: { dates?: readonly string[]; from?: string; to?: string }): string[] {
  const days = new Set<string>()
  for (const d of opts.dates ?? []) days.add(formatDay(requireDay(d, 'date')))
  if ((opts.from === undefined) !== (opts.to === undefined)) throw new Errors.BAD_REQUEST('from and to go together')
  if (opts.from !== undefined && opts.to !== undefined) {
    const from = requireDay(opts.from, 'from')
    const to = requireDay(opts.to, 'to')
    if (to < from) throw new Errors.BAD_REQUEST(`to (${opts.to}) is before from (${opts.from})`)
    if (to - from + 1 > MAX_BACKFILL_DAYS)
      throw new Errors.BAD_REQUEST(`a range covers at most ${MAX_BACKFILL_DAYS} days`)
    for (let d = from; d <= to; d++) days.add(formatDay(d))
  }
  return [...days].sort()
}

/** W = min over ALL partitions of the topic of closedThrough; a partition without a progress document holds it at 0. */
export async function readArchiveWatermark(config: Readonly<Config>, lake: Lake): Promise<number> {
  const partitions = Array.from({ length: config.kafka.partitions }, (_, p) => p)
  const closed = await Promise.all(
    partitions.map(async (p) => {
      const key = archiveProgressKey(config.kafka.topic, p)
      const bytes = await lake.get(key)
      if (bytes === undefined) return 0
      try {
        const doc = JSON.parse(bytes.toString('utf8')) as ArchiveProgress
        return Number.isFinite(doc.closedThrough) ? doc.closedThrough : 0
      } catch (err) {
        throw new Errors.LAKE_IO(`${lake.location(key)} is not valid JSON`, { cause: err })
      }
    }),
  )
  return Math.min(...closed)
}

/** Archive files whose arrival hour starts before `watermark`, by key (no object is opened). */
export async function listArchivedBefore(lake: Lake, watermark: number): Promise<string[]> {
  const keys = await lake.list('events/')
  return keys.filter((k) => {
    const parsed = parseEventsFileKey(k)
    return parsed !== undefined && parsed.arrivalHourMs < watermark
  })
}

/** Archive file key → the event days (UTC) of its rows. */
export type FileDays = Record<string, string[]>

export function fileIndexKey(runId: string): string {
  return `${runPrefix(runId)}file-days.json`
}

export async function readFileIndex(lake: Lake, runId: string | undefined): Promise<FileDays> {
  if (runId === undefined) return {}
  const bytes = await lake.get(fileIndexKey(runId))
  if (bytes === undefined) return {}
  return JSON.parse(bytes.toString('utf8')) as FileDays
}

export async function writeFileIndex(lake: Lake, runId: string, index: FileDays): Promise<void> {
  const sorted: FileDays = {}
  for (const k of Object.keys(index).sort()) sorted[k] = index[k]!
  await lake.putBytes(fileIndexKey(runId), JSON.stringify(sorted))
}

function dayString(v: unknown): string {
  return String(v).slice(0, 10)
}

/**
 * The event days of each file. A file whose `ts` statistics start and end on the same day holds that day (the
 * common case: an arrival hour holds the hour's events); only the others are scanned, for their exact days.
 */
export async function inspectFileDays(
  conn: DuckDBConnection,
  lake: Lake,
  keys: readonly string[],
  onBatch?: (done: number) => void,
): Promise<FileDays> {
  const out: FileDays = {}
  const byLocation = new Map(keys.map((k) => [lake.location(k), k]))
  const toScan: string[] = []
  const BATCH = 500
  for (let i = 0; i < keys.length; i += BATCH) {
    const locations = keys.slice(i, i + BATCH).map((k) => lake.location(k))
    const stats = await conn.runAndReadAll(`SELECT file_name,
        CAST(CAST(min(TRY_CAST(stats_min AS TIMESTAMPTZ)) AT TIME ZONE 'UTC' AS DATE) AS VARCHAR) AS lo,
        CAST(CAST(max(TRY_CAST(stats_max AS TIMESTAMPTZ)) AT TIME ZONE 'UTC' AS DATE) AS VARCHAR) AS hi,
        sum(num_values) AS n, count(stats_min) = count(*) AS complete
      FROM parquet_metadata(${fileList(locations)}) WHERE path_in_schema = 'ts' GROUP BY file_name`)
    const seen = new Set<string>()
    for (const [file, lo, hi, n, complete] of stats.getRows()) {
      const key = byLocation.get(String(file))
      if (key === undefined) continue
      seen.add(String(file))
      if (Number(n) === 0) out[key] = []
      else if (complete === true && lo !== null && lo === hi) out[key] = [dayString(lo)]
      else toScan.push(String(file))
    }
    // A file without a ts column chunk (empty, or an odd writer) is scanned too.
    for (const loc of locations) if (!seen.has(loc)) toScan.push(loc)
    onBatch?.(Math.min(i + BATCH, keys.length))
  }
  for (let i = 0; i < toScan.length; i += BATCH) {
    const part = toScan.slice(i, i + BATCH)
    for (const loc of part) out[byLocation.get(loc)!] = []
    const rows = await conn.runAndReadAll(`SELECT filename, list(DISTINCT CAST(${EVENT_DAY_SQL} AS VARCHAR) ORDER BY 1)
      FROM read_parquet(${fileList(part)}, filename = true) GROUP BY filename`)
    for (const [file, days] of rows.getRows()) {
      const key = byLocation.get(String(file))
      if (key !== undefined) out[key] = (days as { items: unknown[] }).items.map(dayString)
    }
  }
  return out
}
