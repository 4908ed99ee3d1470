/**
 * Loads the batch views a manifest names (song_daily, artist_daily, and the breakdown views) from the lake into
 * DailyIndexes with DuckDB. A breakdown row is indexed by the composite id `breakdownId(id, dimension, value)`.
 * Rows are streamed chunk by chunk, so the event loop keeps answering queries from the previous snapshot while a
 * large view loads.
 */
import type { Config } from '../../shared/config.ts'
import { fileList, openDuck, quoteIdent } from '../../shared/duckdb.ts'
import type { EntityKind } from '../../shared/realtime.ts'
import type { Lake } from '../../shared/lake.ts'
import type { ViewsManifest } from '../../shared/layout.ts'
import { METRICS } from '../../shared/metrics.ts'
import { DailyIndex, DailyIndexBuilder } from './daily-index.ts'

/** What the serving layer answers from: one manifest's watermark and its views, never mixed with another run's. */
export interface BatchSnapshot {
  /** W: the views hold every event that arrived before it; 0 before the first batch run. */
  watermark: number
  manifest: ViewsManifest | undefined
  indexes: Record<EntityKind, DailyIndex>
  /** The breakdown views, by `breakdownId`. */
  breakdowns: Record<EntityKind, DailyIndex>
  loadedAt: number
}

export const BREAKDOWN_SEPARATOR = '\u0000'

/** The id of a breakdown series in a DailyIndex: id, dimension and value joined by NUL (never in any of them). */
export function breakdownId(id: string, dimension: string, value: string): string {
  return `${id}${BREAKDOWN_SEPARATOR}${dimension}${BREAKDOWN_SEPARATOR}${value}`
}

/** The values of one id's breakdown by `dimension` that the view has rows of. */
export function breakdownValues(index: DailyIndex, id: string, dimension: string): readonly string[] {
  return index.endsAfter(breakdownId(id, dimension, ''), BREAKDOWN_SEPARATOR)
}

export const EMPTY_SNAPSHOT: BatchSnapshot = Object.freeze({
  watermark: 0,
  manifest: undefined,
  indexes: { song: DailyIndex.EMPTY, artist: DailyIndex.EMPTY },
  breakdowns: { song: DailyIndex.EMPTY, artist: DailyIndex.EMPTY },
  loadedAt: 0,
})

const VIEWS: Record<EntityKind, { view: string; idColumn: string }> = {
  song: { view: 'song_daily', idColumn: 'song_id' },
  artist: { view: 'artist_daily', idColumn: 'artist_id' },
}

const BREAKDOWN_VIEWS: Record<EntityKind, { view: string; idColumn: string }> = {
  song: { view: 'song_breakdown_daily', idColumn: 'song_id' },
  artist: { view: 'artist_breakdown_daily', idColumn: 'artist_id' },
}

export async function loadBatchSnapshot(
  config: Readonly<Config>,
  lake: Lake,
  manifest: ViewsManifest,
): Promise<BatchSnapshot> {
  const duck = await openDuck(config, { threads: 1 })
  try {
    const indexes = {} as Record<EntityKind, DailyIndex>
    const breakdowns = {} as Record<EntityKind, DailyIndex>
    for (const kind of Object.keys(VIEWS) as EntityKind[]) {
      const { view, idColumn } = VIEWS[kind]
      const keys = manifest.views[view] ?? []
      indexes[kind] =
        keys.length === 0
          ? DailyIndex.EMPTY
          : await loadView(
              duck.conn,
              keys.map((k) => lake.location(k)),
              quoteIdent(idColumn),
            )
      const b = BREAKDOWN_VIEWS[kind]
      const bKeys = manifest.views[b.view] ?? []
      const composite = `${quoteIdent(b.idColumn)} || chr(0) || dimension || chr(0) || value`
      breakdowns[kind] =
        bKeys.length === 0
          ? DailyIndex.EMPTY
          : await loadView(
              duck.conn,
              bKeys.map((k) => lake.location(k)),
              composite,
            )
    }
    return { watermark: manifest.watermark, manifest, indexes, breakdowns, loadedAt: Date.now() }
  } finally {
    duck.close()
  }
}

type Conn = Awaited<ReturnType<typeof openDuck>>['conn']

/** `idSql` is the SQL of the series id: a quoted column, or the breakdown's composite id. */
async function loadView(conn: Conn, locations: string[], idSql: string): Promise<DailyIndex> {
  // `day` may be a DATE or a 'YYYY-MM-DD' string; both cast to DATE. Metrics come back as JS numbers.
  const metrics = METRICS.map((m) => `CAST(${quoteIdent(m.column)} AS DOUBLE)`).join(', ')
  const sql = `SELECT CAST(${idSql} AS VARCHAR), CAST(CAST(day AS DATE) - DATE '1970-01-01' AS INTEGER), ${metrics}
    FROM read_parquet(${fileList(locations)}, union_by_name = true)`
  const result = await conn.stream(sql)
  const builder = new DailyIndexBuilder()
  const values = new Float64Array(METRICS.length)
  for await (const chunk of result) {
    const cols = chunk.getColumns()
    const ids = cols[0] as string[]
    const days = cols[1] as number[]
    for (let r = 0; r < chunk.rowCount; r++) {
      for (let m = 0; m < METRICS.length; m++) values[m] = (cols[m + 2]?.[r] as number | null) ?? 0
      builder.add(ids[r]!, days[r]!, values)
    }
  }
  return builder.build()
}
