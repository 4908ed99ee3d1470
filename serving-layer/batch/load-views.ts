/**
 * Loads the batch views a manifest names (song_daily, artist_daily) from the lake into DailyIndexes with DuckDB.
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
  loadedAt: number
}

export const EMPTY_SNAPSHOT: BatchSnapshot = Object.freeze({
  watermark: 0,
  manifest: undefined,
  indexes: { song: DailyIndex.EMPTY, artist: DailyIndex.EMPTY },
  loadedAt: 0,
})

const VIEWS: Record<EntityKind, { view: string; idColumn: string }> = {
  song: { view: 'song_daily', idColumn: 'song_id' },
  artist: { view: 'artist_daily', idColumn: 'artist_id' },
}

export async function loadBatchSnapshot(
  config: Readonly<Config>,
  lake: Lake,
  manifest: ViewsManifest,
): Promise<BatchSnapshot> {
  const duck = await openDuck(config, { threads: 1 })
  try {
    const indexes = {} as Record<EntityKind, DailyIndex>
    for (const kind of Object.keys(VIEWS) as EntityKind[]) {
      const { view, idColumn } = VIEWS[kind]
      const keys = manifest.views[view] ?? []
      indexes[kind] =
        keys.length === 0
          ? DailyIndex.EMPTY
          : await loadView(
              duck.conn,
              keys.map((k) => lake.location(k)),
              idColumn,
            )
    }
    return { watermark: manifest.watermark, manifest, indexes, loadedAt: Date.now() }
  } finally {
    duck.close()
  }
}

type Conn = Awaited<ReturnType<typeof openDuck>>['conn']

async function loadView(conn: Conn, locations: string[], idColumn: string): Promise<DailyIndex> {
  // `day` may be a DATE or a 'YYYY-MM-DD' string; both cast to DATE. Metrics come back as JS numbers.
  const metrics = METRICS.map((m) => `CAST(${quoteIdent(m.column)} AS DOUBLE)`).join(', ')
  const sql = `SELECT CAST(${quoteIdent(idColumn)} AS VARCHAR), CAST(CAST(day AS DATE) - DATE '1970-01-01' AS INTEGER), ${metrics}
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
