/**
 * Plays the batch job for tests and the bench: writes song_daily and artist_daily as Parquet with DuckDB from the
 * events that arrived before W (the metric SQL from shared/metrics.ts), then swaps the manifest in last.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Catalog } from '../../../shared/catalog/catalog.ts'
import type { Config } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import type { Lake } from '../../../shared/lake.ts'
import { VIEWS_MANIFEST_KEY, type ViewsManifest } from '../../../shared/layout.ts'
import { metricsSelectList } from '../../../shared/metrics.ts'
import type { ArrivedEvent } from './events-realtime-view.ts'

export async function writeBatchRun(
  config: Readonly<Config>,
  lake: Lake,
  catalog: Catalog,
  events: readonly ArrivedEvent[],
  watermark: number,
  runId: string,
  previousWatermark = 0,
): Promise<ViewsManifest> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-batch-'))
  const duck = await openDuck(config, { threads: 1 })
  try {
    const input = path.join(dir, 'events.ndjson')
    fs.writeFileSync(
      input,
      events
        .filter((e) => e.arrivedAt < watermark)
        .map((e) =>
          JSON.stringify({
            ts_ms: e.event.ts,
            user_id: e.event.userId,
            song_id: e.event.songId,
            artist_id: catalog.artistOf(e.event.songId),
            type: e.event.type,
            ms_played: e.event.msPlayed ?? null,
          }),
        )
        .join('\n') + '\n',
    )
    await duck.conn.run(`CREATE TABLE events AS SELECT * FROM read_json(${quoteLiteral(input)}, columns = {
      ts_ms: 'BIGINT', user_id: 'VARCHAR', song_id: 'VARCHAR', artist_id: 'VARCHAR', type: 'VARCHAR', ms_played: 'BIGINT' })`)
    const views: Record<string, string[]> = {}
    for (const [view, id] of [
      ['song_daily', 'song_id'],
      ['artist_daily', 'artist_id'],
    ] as const) {
      const file = path.join(dir, `${view}.parquet`)
      await duck.conn.run(`COPY (SELECT CAST(epoch_ms(ts_ms) AS DATE) AS day, ${id}, ${metricsSelectList()}
        FROM events GROUP BY ALL ORDER BY ALL) TO ${quoteLiteral(file)} (FORMAT parquet)`)
      const key = `views/${runId}/${view}.parquet`
      await lake.putFile(key, file)
      views[view] = [key]
    }
    const manifest: ViewsManifest = {
      runId,
      watermark,
      createdAt: new Date().toISOString(),
      views,
      days: null,
      previousWatermark,
    }
    await lake.putBytes(VIEWS_MANIFEST_KEY, JSON.stringify(manifest))
    return manifest
  } finally {
    duck.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
